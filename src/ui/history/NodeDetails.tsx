import { useMemo } from 'react';
import { compareNodes } from '../../core/history/query.ts';
import type { ProjectState } from '../../core/project/index.ts';
import { predictAll } from '../../core/pipeline/distill.ts';
import { fmtDelta, fmtPct, fmtW } from '../../state/format.ts';
import { nodeMetrics, nodesInOrder } from '../../state/project.ts';
import { studio, useStudio } from '../../state/useStudio.ts';
import type { Dataset } from '../../state/types.ts';

/** Held-out predictions of a node's student (others −1, so only held-out images can differ). */
function heldOutPredictions(ds: Dataset, st: ProjectState): Int32Array | null {
  if (!st.ensemble || st.ensemble.served.M !== ds.M) return null;
  const all = predictAll({ rows: ds.N, cols: ds.M, data: ds.ahat }, st.ensemble);
  const out = new Int32Array(ds.N).fill(-1);
  for (const i of ds.split.heldOut) out[i] = all[i];
  return out;
}

export function NodeDetails({ id }: { id: string }) {
  const ds = useStudio((s) => s.dataset)!;
  useStudio((s) => s.settled);
  const session = studio().session!;
  const tree = session.history;
  const cmpId = useStudio((s) => s.ui.historyCompare);
  const node = tree.nodes[id];
  const other = cmpId && cmpId !== id ? tree.nodes[cmpId] : null;
  // Core's node comparison: weight diff, metric deltas and the held-out images predicted differently.
  const comparison = useMemo(() => {
    if (!other || !node) return null;
    const c = compareNodes(tree, id, other.id, (st) => heldOutPredictions(ds, st));
    const diff = (c.weights?.W ?? []).slice().sort((x, y) => Math.abs(y.to - y.from) - Math.abs(x.to - x.from)).slice(0, 6);
    return { ...c, diff };
  }, [ds, tree, id, node, other]);
  if (!node) return null;
  const m = nodeMetrics(session, id);
  const pm = node.parentId ? nodeMetrics(session, node.parentId) : null;
  const isHead = tree.head === id;
  const flipped = node.flipped?.length ?? 0;
  return (
    <div className="detail" role="region" aria-label="Step details" style={{ maxHeight: '50%' }}>
      <div className="row"><strong className="grow">{node.label}</strong><span className="small muted">{new Date(node.time).toLocaleTimeString()}</span></div>
      {m && (
        <div className="small num">
          Fidelity {fmtPct(m.fidelity)}{pm && ` (${fmtDelta(m.fidelity - pm.fidelity)} pts)`}
          {' · '}Accuracy {fmtPct(m.accuracy)}{pm && m.accuracy != null && pm.accuracy != null && ` (${fmtDelta(m.accuracy - pm.accuracy)} pts)`}
          {' · '}held-out n = {m.n}
        </div>
      )}
      <div className="row small wrap" style={{ marginTop: 4 }}>
        <span>{flipped} held-out images flipped by this step</span>
        <button disabled={!flipped} onClick={() => studio().setUi({ filter: { kind: 'flipped', nodeId: id }, heldOutOnly: false })}>Show flipped in Images</button>
        <button disabled={isHead} onClick={() => studio().commit({ type: 'restore', nodeId: id })}>{isHead ? 'Current step' : 'Restore this step'}</button>
        <label className="row">Compare with
          <select value={cmpId ?? ''} onChange={(e) => studio().setUi({ historyCompare: e.target.value || null })}>
            <option value="">—</option>
            {nodesInOrder(session).filter((n) => n.id !== id).map((n) => <option key={n.id} value={n.id}>{n.seq + 1}. {n.label.slice(0, 40)}</option>)}
          </select>
        </label>
      </div>
      {other && comparison && (
        <div className="small" style={{ marginTop: 4 }} data-testid="node-compare">
          <div className="num">
            vs “{other.label}”: fidelity {comparison.metricDelta.fidelity != null ? `${fmtDelta(comparison.metricDelta.fidelity)} pts` : '—'}
            {comparison.metricDelta.accuracy != null && `, accuracy ${fmtDelta(comparison.metricDelta.accuracy)} pts`}
            , {comparison.flipped ? comparison.flipped.length : '?'} held-out images predicted differently
          </div>
          <ul style={{ margin: '2px 0', paddingLeft: 16 }}>
            {comparison.diff.map((w) => <li key={w.index} className="num">{ds.concepts[w.concept]} for {ds.classes[w.class]}: {fmtW(w.from)} → {fmtW(w.to)}</li>)}
            {!comparison.diff.length && <li>{comparison.shapeChanged ? 'Different concepts or classes.' : 'Same weights.'}</li>}
          </ul>
        </div>
      )}
    </div>
  );
}
