import { useCallback, useMemo, useRef, useState } from 'react';
import { studio, useShallow, useStudio } from '../../state/useStudio.ts';
import { Panel } from '../components/Panel.tsx';
import { ConceptList } from './ConceptList.tsx';
import { Heatmap } from './Heatmap.tsx';

/** Heatmap columns after search, "non-zero only" and sort. */
function columnOrder(W: Float32Array, lo: Float32Array, hi: Float32Array, concepts: string[], C: number, M: number, cls: number,
  sort: string, query: string, nonZero: boolean): number[] {
  const q = query.trim().toLowerCase();
  let idx = concepts.map((_, j) => j).filter((j) => !q || concepts[j].toLowerCase().includes(q));
  if (nonZero) idx = idx.filter((j) => { for (let c = 0; c < C; c++) if (W[c * M + j] !== 0) return true; return false; });
  if (sort === 'name') idx.sort((a, b) => concepts[a].localeCompare(concepts[b]));
  else if (sort === 'weight') idx.sort((a, b) => W[cls * M + b] - W[cls * M + a]);
  else if (sort === 'spread') idx.sort((a, b) => (hi[cls * M + b] - lo[cls * M + b]) - (hi[cls * M + a] - lo[cls * M + a]));
  return idx;
}

export function ConceptsView() {
  const ds = useStudio((s) => s.dataset);
  const live = useStudio((s) => s.live);
  // The list follows finished steps (`settled`), not every move of a drag: the dragged row shows
  // its own value while it moves and the heatmap follows the live weights by itself, so a move
  // re-renders one row and repaints one canvas instead of the whole view.
  useStudio((s) => s.settled);
  const ensemble = studio().ensemble;
  const ui = useStudio(useShallow((s) => ({ cls: s.ui.cls, concept: s.ui.concept, sort: s.ui.heatSort, query: s.ui.heatQuery, nonZero: s.ui.heatNonZero, factor: s.ui.tuneFactor })));
  const [dragging, setDragging] = useState(false);
  const frozen = useRef<{ cols: number[]; rows: number[] } | null>(null);

  const range = useMemo(() => {
    if (!ensemble) return 1;
    let m = 0;
    for (let k = 0; k < ensemble.lo.length; k++) m = Math.max(m, Math.abs(ensemble.lo[k]), Math.abs(ensemble.hi[k]));
    return Math.max(1, Math.ceil(m * 1.5 * 4) / 4);
    // The slider range is fixed per student so a drag never rescales under the pointer.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [ds, ensemble?.lo]);

  const onDrag = useCallback((d: boolean) => setDragging(d), []);
  if (!ds || !live || !ensemble) return <Panel id="concepts" title="Concepts" style={{ flex: '62 1 0' }}><p className="empty">No student yet.</p></Panel>;
  const { C, M } = ds;
  const W = ensemble.served.W;
  // Orders are frozen while dragging: rows re-sorting under the pointer would be unusable.
  let cols: number[];
  let rows: number[];
  if (dragging && frozen.current) ({ cols, rows } = frozen.current);
  else {
    cols = columnOrder(W, ensemble.lo, ensemble.hi, ds.concepts, C, M, ui.cls, ui.sort, ui.query, ui.nonZero);
    // The same order keeps its array, so the heatmap does not redraw its labels (slow for
    // hundreds of concepts) after every refit.
    const prev = frozen.current?.cols;
    if (prev && prev.length === cols.length && prev.every((j, k) => j === cols[k])) cols = prev;
    rows = cols.slice().sort((a, b) => Math.abs(W[ui.cls * M + b]) - Math.abs(W[ui.cls * M + a]));
    frozen.current = { cols, rows };
  }
  const set = studio().setUi;
  return (
    <Panel id="concepts" title="Concepts" flush style={{ flex: '62 1 0' }}
      sub={`${M} concepts × ${C} classes`}
      tools={
        <label className="row small">Class
          <select value={ui.cls} onChange={(e) => set({ cls: Number(e.target.value) })}>
            {ds.classes.map((c, k) => <option key={c} value={k}>{c}</option>)}
          </select>
        </label>
      }>
      <div className="heat-controls">
        <input type="search" placeholder="Search concepts" aria-label="Search concepts" value={ui.query} onChange={(e) => set({ heatQuery: e.target.value })} style={{ width: 150 }} />
        <label className="row small">Sort
          <select value={ui.sort} onChange={(e) => set({ heatSort: e.target.value as 'index' })}>
            <option value="index">corpus order</option>
            <option value="name">name</option>
            <option value="weight">weight in {ds.classes[ui.cls]}</option>
            <option value="spread">uncertainty in {ds.classes[ui.cls]}</option>
          </select>
        </label>
        <label className="row small"><input type="checkbox" checked={ui.nonZero} onChange={(e) => set({ heatNonZero: e.target.checked })} /> non-zero only</label>
        <span className="spacer" />
        <label className="row small" title="Factor for uptune/downtune">Tune factor
          <select value={ui.factor} onChange={(e) => set({ tuneFactor: Number(e.target.value) })}>
            {[1.5, 2, 3, 5].map((f) => <option key={f} value={f}>×{f}</option>)}
          </select>
        </label>
      </div>
      <Heatmap M={M} classes={ds.classes} concepts={ds.concepts} order={cols} cls={ui.cls} concept={ui.concept}
        onSelect={(c, j) => set({ cls: c, concept: j })} />
      <ConceptList rows={rows} cls={ui.cls} className={ds.classes[ui.cls]} concepts={ds.concepts} M={M} ensemble={ensemble}
        range={range} factor={ui.factor} selected={ui.concept} query={ui.query} onDrag={onDrag} />
    </Panel>
  );
}
