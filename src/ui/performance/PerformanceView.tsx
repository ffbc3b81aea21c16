import { memo } from 'react';
import { fmtDelta, fmtPct } from '../../state/format.ts';
import { studio, useStudio } from '../../state/useStudio.ts';
import { nodeMetrics } from '../../state/project.ts';
import { Panel } from '../components/Panel.tsx';
import { ConfusionMatrix } from './ConfusionMatrix.tsx';
import { OodPanel } from './OodPanel.tsx';
import { ShiftPanel } from './ShiftPanel.tsx';

// These follow the store on their own (OOD: the session; shift: calibration settings): a slider
// move re-renders the metrics above, not the OOD chart or the simulator's form.
const OodPanelMemo = memo(OodPanel);
const ShiftPanelMemo = memo(ShiftPanel);

function Delta({ now, before }: { now: number | null; before: number | null | undefined }) {
  if (now == null || before == null) return null;
  const d = now - before;
  if (Math.abs(d) < 5e-4) return <span className="small muted"> ±0 pts</span>;
  return <span className={`small ${d > 0 ? 'pos' : 'neg'}`}> {fmtDelta(d)} pts</span>;
}

export function PerformanceView() {
  const ds = useStudio((s) => s.dataset);
  const m = useStudio((s) => s.metrics);
  const parent = useStudio((s) => {
    const h = s.session ? s.session.history.nodes[s.session.history.head] : null;
    return h?.parentId ? nodeMetrics(s.session!, h.parentId) : null;
  });
  if (!ds || !m) return <Panel id="performance" title="Performance" style={{ flex: '60 1 0' }}><p className="empty">No student yet.</p></Panel>;
  const labelled = m.confTruth ? m.confTruth.reduce((a, b) => a + b, 0) : 0;
  return (
    <Panel id="performance" title="Performance" sub={`held-out: ${m.n.toLocaleString('en')} images`} style={{ flex: '60 1 0' }}>
      <div className="kpis">
        <div className="kpi" data-testid="kpi-fidelity">
          <div className="v">{fmtPct(m.fidelity)}<Delta now={m.fidelity} before={parent?.fidelity} /></div>
          <div className="l">Fidelity: student agrees with teacher, on {m.n.toLocaleString('en')} held-out images</div>
        </div>
        <div className="kpi" data-testid="kpi-accuracy">
          <div className="v">{fmtPct(m.accuracy)}<Delta now={m.accuracy} before={parent?.accuracy} /></div>
          <div className="l">{m.accuracy == null ? 'Accuracy: no labels in this dataset' : `Accuracy: student matches true label, on ${labelled.toLocaleString('en')} labelled held-out images`}</div>
        </div>
      </div>
      <p className="small" style={{ margin: '6px 0' }}>
        Misaligned subset: <strong className="num">{m.misaligned.toLocaleString('en')}</strong> held-out images where student ≠ teacher.{' '}
        <button className="link" onClick={() => studio().setUi({ filter: { kind: 'misaligned' }, heldOutOnly: true })}>Show in Images</button>
      </p>
      <h3>Per class (held-out)</h3>
      <table className="data">
        <thead>
          <tr><th scope="col">Class</th><th scope="col" title="held-out images the teacher puts in this class">n (teacher)</th><th scope="col">Fidelity</th><th scope="col">Accuracy</th></tr>
        </thead>
        <tbody>
          {ds.classes.map((c, k) => (
            <tr key={c}>
              <td>{c}</td>
              <td>{m.perClass[k].n}</td>
              <td>{fmtPct(m.perClass[k].fidelity)}</td>
              <td>{fmtPct(m.perClass[k].accuracy)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Confusion: student vs teacher</h3>
      <ConfusionMatrix matrix="teacher" counts={m.confTeacher} classes={ds.classes} rowName="teacher" />
      {m.confTruth && (
        <>
          <h3>Confusion: student vs truth</h3>
          <ConfusionMatrix matrix="truth" counts={m.confTruth} classes={ds.classes} rowName="truth" />
        </>
      )}
      <OodPanelMemo />
      <ShiftPanelMemo />
    </Panel>
  );
}
