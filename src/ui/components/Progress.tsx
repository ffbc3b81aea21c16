import { fmtEta } from '../../state/format.ts';
import { useStudio, studio } from '../../state/useStudio.ts';

/** Progress bars of running jobs: counts, rate, ETA, and a Cancel button. */
export function JobsProgress() {
  const jobs = useStudio((s) => s.jobs);
  if (!jobs.length) return null;
  return (
    <div className="col" style={{ display: 'grid', gap: 6 }}>
      {jobs.map((j) => {
        const frac = j.total ? j.done / j.total : 0;
        const eta = j.rate > 0 ? (j.total - j.done) / j.rate : NaN;
        return (
          <div className="progress" key={j.id}>
            <div className="row">
              <strong className="grow ellipsis">{j.label}</strong>
              {j.cancellable && <button onClick={() => studio().cancelJob(j.id)}>Cancel</button>}
            </div>
            <div className="bar" role="progressbar" aria-label={j.label} aria-valuemin={0} aria-valuemax={j.total || 1} aria-valuenow={j.done}>
              <div style={{ width: `${(frac * 100).toFixed(1)}%` }} />
            </div>
            <div className="row small muted num">
              <span className="grow ellipsis">{j.stage}</span>
              <span>{j.done.toLocaleString('en')} / {j.total.toLocaleString('en')}</span>
              <span>{j.rate ? `${j.rate.toFixed(j.rate < 10 ? 1 : 0)}/s` : ''}</span>
              <span>ETA {fmtEta(eta)}</span>
            </div>
          </div>
        );
      })}
    </div>
  );
}
