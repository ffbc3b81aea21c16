/** One image's domain posterior (METHODS §8) as a chip: the likeliest condition and its probability; click to filter the gallery by it. */
import { domainPosteriors } from '../../state/domain.ts';
import { studio, useStudio } from '../../state/useStudio.ts';

export function DomainChip({ i }: { i: number }) {
  const ds = useStudio((s) => s.dataset);
  const domain = useStudio((s) => s.session?.state.calibration.domain ?? null);
  const p = domainPosteriors(ds, domain);
  if (!p || !domain || i >= p.pi.rows) return null;
  const K = p.pi.cols;
  const d = p.top[i];
  const prob = p.pi.data[i * K + d];
  const all = domain.domains.map((x, k) => `${x.prompt}: ${(100 * p.pi.data[i * K + k]).toFixed(0)} %`).join(', ');
  return (
    <div className="row small" style={{ marginTop: 4 }}>
      <span className="muted">Condition:</span>
      <button className="chip domain-chip" data-testid="domain-chip" title={`Domain posterior: ${all}. Click to show every image in this condition.`}
        onClick={() => studio().setUi({ filter: { kind: 'domain', domain: d } })}>
        {domain.domains[d].prompt} · {(100 * prob).toFixed(0)} %
      </button>
    </div>
  );
}
