/**
 * The shift simulator view: choose corruptions, severities and how many held-out images; run it
 * (embed worker, with progress and cancel); see accuracy or fidelity against severity per
 * corruption with calibration off / source / test-time, and how many shifted images the OOD
 * flag calls unfamiliar under each.
 */
import { useState } from 'react';
import { studio, useStudio } from '../../state/useStudio.ts';
import { runShiftSimulator, shiftBlocker, SHIFT_KINDS, type CorruptionKind, type ShiftRun } from '../../state/shift.ts';
import { CHART_MODES, panelLayout, type ChartMetric } from './shiftChart.ts';

const PW = 150;
/** A share as a percentage with one decimal, '–' when not measured. */
const num = (x: number | null | undefined) => (x == null ? '–' : (100 * x).toFixed(1));
const METRIC_LABEL: Record<ChartMetric, string> = { accuracy: 'Accuracy', fidelity: 'Fidelity', flagged: 'Flagged as unfamiliar' };
/** Mean share flagged over the corrupted batches (null when a mode has no result). */
function meanFlag(run: ShiftRun, mode: 'off' | 'source' | 'testTime'): number | null {
  const v = run.results.map((x) => x.r[mode]?.flagged).filter((f): f is number => f != null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}
const PH = 96;

function Panel({ title, run, kind, metric }: { title: string; run: ShiftRun; kind: CorruptionKind; metric: ChartMetric }) {
  const series = [{ severity: 0, r: run.clean }, ...run.results.filter((x) => x.kind === kind)];
  const L = panelLayout(series, metric, PW, PH);
  const summary = L.lines.map((l) => `${CHART_MODES.find((m) => m.key === l.mode)!.label}: ${l.points.map((p) => `${p.severity} → ${(100 * p.value).toFixed(0)} %`).join(', ')}`).join('; ');
  return (
    <figure className="shift-panel" style={{ margin: 0 }}>
      <figcaption className="small"><strong>{title}</strong></figcaption>
      <svg viewBox={`0 0 ${PW} ${PH}`} width={PW} height={PH} role="img" aria-label={`${metric} against severity for ${title}: ${summary}`}>
        {L.yTicks.map((t) => (
          <g key={t.v}>
            <line x1={L.xTicks[0]?.x ?? 0} x2={PW - 6} y1={t.y} y2={t.y} className="grid" />
            <text x={26} y={t.y + 3} textAnchor="end" className="axis">{(100 * t.v).toFixed(0)}%</text>
          </g>
        ))}
        {L.xTicks.map((t) => <text key={t.v} x={t.x} y={PH - 6} textAnchor="middle" className="axis">{t.v}</text>)}
        {L.lines.map((l) => (
          <g key={l.mode} className={`mode-${l.mode}`}>
            <path d={l.d} fill="none" strokeDasharray={CHART_MODES.find((m) => m.key === l.mode)!.dash} />
            {l.points.map((p) => <circle key={p.severity} cx={p.x} cy={p.y} r={2} />)}
          </g>
        ))}
      </svg>
    </figure>
  );
}

export function ShiftSimulator() {
  const blocker = useStudio(shiftBlocker);
  const [kinds, setKinds] = useState<CorruptionKind[]>(SHIFT_KINDS.map((k) => k.kind));
  const [sevs, setSevs] = useState<number[]>([1, 2, 3, 4, 5]);
  const [count, setCount] = useState(60);
  const [metric, setMetric] = useState<ChartMetric>('accuracy');
  const [run, setRun] = useState<ShiftRun | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const toggle = <T,>(xs: T[], x: T) => (xs.includes(x) ? xs.filter((y) => y !== x) : [...xs, x]);

  const start = async () => {
    setError('');
    setBusy(true);
    const job = studio().startJob('Shift simulator: corrupt and re-embed held-out images');
    try {
      const r = await runShiftSimulator(studio(), { kinds, severities: [...sevs].sort(), count }, {
        signal: job.signal, onProgress: (done, total) => job.progress({ stage: 'embedding corrupted images', done, total }),
      });
      setRun(r);
      job.finish(`Shift simulator done: ${r.rows.length} images × ${r.results.length} corruptions in ${r.seconds.toFixed(0)} s.`);
    } catch (e) {
      const msg = job.signal.aborted ? 'The simulator was cancelled.' : (e as Error).message;
      setError(msg);
      job.finish(msg);
    } finally {
      setBusy(false);
    }
  };
  const labelOf = (k: CorruptionKind) => SHIFT_KINDS.find((x) => x.kind === k)!.label;
  return (
    <section className="shift-sim" aria-label="Shift simulator">
      <h3>Shift simulator</h3>
      <p className="small muted" style={{ margin: '2px 0' }}>
        Makes held-out images darker, hazier, flatter, noisier or more compressed (5 severities), embeds them again with the project's image model,
        and measures the student with calibration off and on. Nothing is recorded.
      </p>
      {blocker ? <p className="small muted">{blocker}</p> : (
        <>
          <div className="row wrap small" role="group" aria-label="Corruptions">
            {SHIFT_KINDS.map(({ kind, label }) => (
              <label key={kind} className="row small"><input type="checkbox" checked={kinds.includes(kind)} onChange={() => setKinds(toggle(kinds, kind))} /> {label}</label>
            ))}
          </div>
          <div className="row wrap small" role="group" aria-label="Severities">
            Severity:
            {[1, 2, 3, 4, 5].map((v) => (
              <label key={v} className="row small"><input type="checkbox" checked={sevs.includes(v)} onChange={() => setSevs(toggle(sevs, v))} aria-label={`severity ${v}`} /> {v}</label>
            ))}
          </div>
          <div className="row small">
            <label className="row small">Held-out images
              <input type="number" min={1} max={2000} value={count} onChange={(e) => setCount(Math.max(1, Number(e.target.value) || 1))} style={{ width: 64 }} />
            </label>
            <button className="primary" disabled={busy || kinds.length === 0 || sevs.length === 0} onClick={() => void start()}>
              {busy ? 'Running…' : 'Run simulator'}
            </button>
          </div>
          {count < 30 && <p className="small muted" style={{ margin: '2px 0' }}>With fewer than 30 images there is no test-time column (it needs a batch of 30).</p>}
        </>
      )}
      {error && <p className="small neg" role="alert" style={{ margin: '2px 0' }}>{error}</p>}
      {run && (
        <div data-testid="shift-result">
          <div className="row small" role="radiogroup" aria-label="Chart metric">
            Show:
            {(['accuracy', 'fidelity', 'flagged'] as const).map((m) => (
              <label key={m} className="row small"><input type="radio" name="shift-metric" checked={metric === m} onChange={() => setMetric(m)} /> {METRIC_LABEL[m].toLowerCase()}</label>
            ))}
          </div>
          <div className="row wrap shift-chart" data-testid="shift-chart" style={{ alignItems: 'flex-start', gap: 4 }}>
            {run.kinds.map((k) => <Panel key={k} title={labelOf(k)} run={run} kind={k} metric={metric} />)}
          </div>
          <p className="small legend" style={{ margin: '2px 0' }}>
            {CHART_MODES.map((m) => (
              <span key={m.key} className={`row small mode-${m.key}`} style={{ display: 'inline-flex', marginRight: 8 }}>
                <svg width="22" height="8" aria-hidden="true"><line x1="0" x2="22" y1="4" y2="4" strokeDasharray={m.dash} /></svg> {m.label}
              </span>
            ))}
            · severity 0 = the clean images · {run.rows.length} held-out images, fidelity against the teacher's answer on the clean image
          </p>
          <p className="small" data-testid="shift-flagged" style={{ margin: '2px 0' }}>
            {run.ood ? <>Flagged as unfamiliar, mean over the shifted batches: off <strong className="num">{num(meanFlag(run, 'off'))} %</strong>,
              source <strong className="num">{num(meanFlag(run, 'source'))} %</strong>, test-time <strong className="num">{num(meanFlag(run, 'testTime'))} %</strong>
              {' '}(clean held-out images: {num(run.clean.off.flagged)} %).</> : 'No OOD threshold is set, so nothing is flagged.'}
          </p>
          <table className="data shift-table" data-testid="shift-table">
            <caption className="small" style={{ textAlign: 'left' }}>{METRIC_LABEL[metric]} (%) by calibration</caption>
            <thead>
              <tr><th scope="col">Corruption</th><th scope="col">off</th><th scope="col">source</th><th scope="col">test-time</th></tr>
            </thead>
            <tbody>
              {[{ kind: null as CorruptionKind | null, severity: 0, r: run.clean }, ...run.results].map((x) => (
                <tr key={`${x.kind}-${x.severity}`}>
                  <th scope="row" className="small" style={{ fontWeight: 'normal', textAlign: 'left' }}>{x.kind ? `${labelOf(x.kind)} ${x.severity}` : 'clean'}</th>
                  <td className="num">{num(x.r.off[metric])}</td>
                  <td className="num">{num(x.r.source[metric])}</td>
                  <td className="num">{num(x.r.testTime?.[metric])}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small muted" style={{ margin: '2px 0' }}>
            {run.ood
              ? `Unfamiliar = ${run.ood.score === 'mcm' ? 'class-prompt' : 'student-prototype'} OOD score below λ = ${run.ood.threshold.toFixed(3)}. Shifted images of known parts should mostly pass; the class-prompt score does not depend on calibration.`
              : 'Set an OOD threshold above to see how many shifted images would be flagged as unfamiliar.'}
            {run.errors.length > 0 && ` ${run.errors.length} image(s) failed: ${run.errors[0].id}: ${run.errors[0].message}`}
          </p>
        </div>
      )}
    </section>
  );
}
