import { useMemo, useState } from 'react';
import { studio, useStudio } from '../../state/useStudio.ts';
import { defaultOodSettings, oodEvaluation, oodKinds, oodRows, oodScores, pick } from '../../state/ood.ts';
import { passRate, type Interval } from '../../core/ood/index.ts';
import type { OodScoreKind } from '../../core/project/index.ts';
import { fmtPct } from '../../state/format.ts';

const KIND_LABEL: Record<OodScoreKind, string> = { mcm: 'class prompts', 'mcm-student': 'student prototypes' };
const BINS = 30;
const W = 320;
const H = 86;

function Ci({ v, pct = false }: { v: Interval; pct?: boolean }) {
  const f = (x: number) => (pct ? (100 * x).toFixed(1) : x.toFixed(3));
  return <td className="num">{f(v.value)}{pct ? ' %' : ''} <span className="small muted" style={{ whiteSpace: 'nowrap' }}>({f(v.lo)}–{f(v.hi)})</span></td>;
}

/** Overlaid ID / OOD score histograms with the threshold line. */
function Histogram({ id, ood, lo, hi, threshold }: { id: Float64Array; ood: Float64Array | null; lo: number; hi: number; threshold: number }) {
  const span = hi - lo || 1;
  const hist = (s: Float64Array) => {
    const h = new Float64Array(BINS);
    for (const v of s) h[Math.min(BINS - 1, Math.max(0, Math.floor(((v - lo) / span) * BINS)))]++;
    return h.map((c) => c / s.length);
  };
  const hi_ = hist(id);
  const ho = ood ? hist(ood) : null;
  const top = Math.max(...hi_, ...(ho ?? [0])) || 1;
  const bw = W / BINS;
  const bars = (h: Float64Array, cls: string) => Array.from(h, (v, b) => <rect key={b} className={cls} x={b * bw + 0.5} width={bw - 1} y={H - (v / top) * H} height={(v / top) * H} />);
  const x = ((threshold - lo) / span) * W;
  return (
    <svg className="ood-hist" viewBox={`0 -4 ${W} ${H + 18}`} width="100%" role="img"
      aria-label={`Histogram of OOD scores: held-out (in-distribution) ${ood ? 'and the ood set ' : ''}with the threshold at ${threshold.toFixed(3)}`}>
      {ho && bars(ho, 'ood')}
      {bars(hi_, 'id')}
      <line x1={x} x2={x} y1={-4} y2={H} className="thr" />
      <text x={0} y={H + 13} className="axis">{lo.toFixed(3)}</text>
      <text x={W} y={H + 13} className="axis" textAnchor="end">{hi.toFixed(3)}</text>
      <text x={W / 2} y={H + 13} className="axis" textAnchor="middle">score S(x) (high = familiar)</text>
    </svg>
  );
}

/** The unfamiliar-image flag (METHODS §8): scores, threshold, live TPR/FPR, AUROC and FPR95 with CIs. */
export function OodPanel() {
  const ds = useStudio((s) => s.dataset);
  const session = useStudio((s) => s.session);
  const [view, setView] = useState<OodScoreKind | null>(null);
  // A threshold drag is shown live and recorded once, on release (one provenance step per drag).
  const [draft, setDraft] = useState<number | null>(null);
  const kinds = oodKinds(ds);
  const ood = session?.state.calibration.ood ?? null;
  const kind: OodScoreKind | null = view ?? ood?.score ?? kinds[0] ?? null;
  // The student score follows the head student: `session` changes with every edit.
  const data = useMemo(() => {
    if (!ds || !kind) return null;
    const all = oodScores(ds, session, kind);
    if (!all) return null;
    const rows = oodRows(ds);
    const id = pick(all, rows.id);
    const oo = rows.ood ? pick(all, rows.ood) : null;
    let lo = Infinity, hi = -Infinity;
    for (const v of id) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    if (oo) for (const v of oo) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const evals = kinds.map((k) => {
      const s = oodScores(ds, session, k);
      return { k, e: s ? oodEvaluation(ds, s) : null };
    });
    return { all, id, oo, lo, hi, evals };
  }, [ds, session, kind]); // eslint-disable-line react-hooks/exhaustive-deps
  if (!ds || kinds.length === 0 || !kind || !data) return null;
  const active = ood && ood.score === kind ? ood : null;
  const def = defaultOodSettings(ds, session, kind);
  const threshold = draft ?? active?.threshold ?? def?.threshold ?? 0.5;
  const tpr = passRate(data.id, threshold);
  const fpr = data.oo ? passRate(data.oo, threshold) : null;
  let flagged = 0;
  for (const v of data.all) if (v < threshold) flagged++;
  const release = () => {
    if (draft != null && def) studio().commit({ type: 'oodSettings', ood: { ...def, threshold: draft } });
    setDraft(null);
  };
  const step = (data.hi - data.lo) / 500 || 0.001;
  return (
    <section className="ood-panel" aria-label="Unfamiliar images (OOD flag)">
      <h3>Unfamiliar images (OOD flag, MCM)</h3>
      <div className="row small" role="radiogroup" aria-label="OOD score">
        Score:
        {kinds.map((k) => (
          <label key={k} className="row small"><input type="radio" name="ood-kind" checked={k === kind} onChange={() => setView(k)} /> {KIND_LABEL[k]}</label>
        ))}
      </div>
      <Histogram id={data.id} ood={data.oo} lo={data.lo} hi={data.hi} threshold={threshold} />
      <p className="small legend" style={{ margin: '2px 0' }}>
        <span className="sw id" /> held-out ({data.id.length}, in-distribution){data.oo && <> <span className="sw ood" /> set “ood” ({data.oo.length})</>} <span className="sw thr" /> threshold λ
      </p>
      <label className="row small" style={{ gap: 6 }}>λ
        <input type="range" aria-label="OOD threshold" min={data.lo} max={data.hi} step={step} value={threshold} style={{ flex: 1 }}
          onChange={(e) => setDraft(Number(e.target.value))} onPointerUp={release} onKeyUp={release} onBlur={release} />
        <span className="num" data-testid="ood-threshold">{threshold.toFixed(3)}</span>
      </label>
      <p className="small" style={{ margin: '2px 0' }} data-testid="ood-rates">
        TPR (held-out pass) <strong className="num">{fmtPct(tpr)}</strong>
        {fpr != null && <> · FPR (ood accepted) <strong className="num">{fmtPct(fpr)}</strong></>}
        {' '}· flagged <strong className="num">{flagged}</strong> of {ds.N}{' '}
        {active && <button className="link" onClick={() => studio().setUi({ filter: { kind: 'unfamiliar' }, heldOutOnly: false })}>Show in Images</button>}
      </p>
      <p className="small" style={{ margin: '2px 0' }}>
        {active
          ? <>Recorded: {KIND_LABEL[active.score]}, τ = {active.tau}, λ = {active.threshold.toFixed(3)} (set on {active.calibrationN} held-out images; goes into the export).{' '}</>
          : <>Not recorded yet{ood ? ` (the export uses ${KIND_LABEL[ood.score]})` : ''}.{' '}</>}
        {def && (
          <button className="link" onClick={() => studio().commit({ type: 'oodSettings', ood: def })}>
            {active ? 'Reset' : 'Use'} λ = {def.threshold.toFixed(3)} (95 % of held-out pass)
          </button>
        )}
      </p>
      {data.evals.some((x) => x.e) && (
        <table className="data" data-testid="ood-metrics">
          <thead><tr><th scope="col">Score</th><th scope="col">AUROC (95 % CI)</th><th scope="col">FPR95 (95 % CI)</th></tr></thead>
          <tbody>
            {data.evals.map(({ k, e }) => e && (
              <tr key={k}><td>{KIND_LABEL[k]}</td><Ci v={e.auroc} /><Ci v={e.fpr95} pct /></tr>
            ))}
          </tbody>
        </table>
      )}
      {data.evals.some((x) => x.e) && <p className="small muted" style={{ margin: '2px 0' }}>Held-out vs set “ood”; bootstrap (1000 resamples, seed 0).</p>}
    </section>
  );
}
