import { useMemo } from 'react';
import { fmtDelta, fmtPct, fmtW } from '../../state/format.ts';
import { weightDiff } from '../../state/history.ts';
import { studio, useStudio } from '../../state/useStudio.ts';
import type { Dataset, Snapshot } from '../../state/types.ts';

/** Predictions of a snapshot (full recompute, on demand for node comparison). */
function predict(ds: Dataset, s: Snapshot): Int32Array {
  const { N, M, C, ahat } = ds;
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < C; c++) {
      let z = s.b[c];
      for (let j = 0; j < M; j++) z += s.W[c * M + j] * ahat[i * M + j];
      if (z > bv) { bv = z; best = c; }
    }
    out[i] = best;
  }
  return out;
}

export function NodeDetails({ id }: { id: string }) {
  const ds = useStudio((s) => s.dataset)!;
  useStudio((s) => s.settled);
  const tree = studio().tree;
  const cmpId = useStudio((s) => s.ui.historyCompare);
  const node = tree.nodes[id];
  const parent = node?.parentId ? tree.nodes[node.parentId] : null;
  const other = cmpId && cmpId !== id ? tree.nodes[cmpId] : null;
  const comparison = useMemo(() => {
    if (!other || !node) return null;
    const pa = predict(ds, node.snapshot);
    const pb = predict(ds, other.snapshot);
    let flips = 0;
    for (let i = 0; i < ds.N; i++) if (pa[i] !== pb[i]) flips++;
    return { flips, diff: weightDiff(node.snapshot, other.snapshot, ds.M, 6) };
  }, [ds, node, other]);
  if (!node) return null;
  const m = node.metricsAfter;
  const isHead = tree.head === id;
  return (
    <div className="detail" role="region" aria-label="Step details" style={{ maxHeight: '50%' }}>
      <div className="row"><strong className="grow">{node.label}</strong><span className="small muted">{new Date(node.time).toLocaleTimeString()}</span></div>
      <div className="small num">
        Fidelity {fmtPct(m.fidelity)}{parent && ` (${fmtDelta(m.fidelity - parent.metricsAfter.fidelity)} pts)`}
        {' · '}Accuracy {fmtPct(m.accuracy)}{parent && m.accuracy != null && parent.metricsAfter.accuracy != null && ` (${fmtDelta(m.accuracy - parent.metricsAfter.accuracy)} pts)`}
        {' · '}held-out n = {m.n}
      </div>
      <div className="row small wrap" style={{ marginTop: 4 }}>
        <span>{node.flipped.length} images flipped by this step</span>
        <button disabled={!node.flipped.length} onClick={() => studio().setUi({ filter: { kind: 'flipped', nodeId: id }, heldOutOnly: false })}>Show flipped in Images</button>
        <button disabled={isHead} onClick={() => studio().commit({ type: 'restore', nodeId: id })}>{isHead ? 'Current step' : 'Restore this step'}</button>
        <label className="row">Compare with
          <select value={cmpId ?? ''} onChange={(e) => studio().setUi({ historyCompare: e.target.value || null })}>
            <option value="">—</option>
            {tree.order.filter((k) => k !== id).map((k, n) => <option key={k} value={k}>{n + 1}. {tree.nodes[k].label.slice(0, 40)}</option>)}
          </select>
        </label>
      </div>
      {other && comparison && (
        <div className="small" style={{ marginTop: 4 }} data-testid="node-compare">
          <div className="num">
            vs “{other.label}”: fidelity {fmtDelta(other.metricsAfter.fidelity - m.fidelity)} pts
            {m.accuracy != null && other.metricsAfter.accuracy != null && `, accuracy ${fmtDelta(other.metricsAfter.accuracy - m.accuracy)} pts`}
            , {comparison.flips} images predicted differently
          </div>
          <ul style={{ margin: '2px 0', paddingLeft: 16 }}>
            {comparison.diff.map(([c, j, a, b]) => <li key={`${c}-${j}`} className="num">{ds.concepts[j]} for {ds.classes[c]}: {fmtW(a)} → {fmtW(b)}</li>)}
            {!comparison.diff.length && <li>Same weights.</li>}
          </ul>
        </div>
      )}
    </div>
  );
}
