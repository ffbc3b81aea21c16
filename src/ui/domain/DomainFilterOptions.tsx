/** The gallery's "condition" facet: one option per domain prompt (filter by the likeliest condition). */
import { useStudio } from '../../state/useStudio.ts';

export function DomainFilterOptions() {
  const domains = useStudio((s) => s.session?.state.calibration.domain?.domains ?? null);
  if (!domains || domains.length === 0) return null;
  return (
    <optgroup label="likeliest condition">
      {domains.map((d, k) => <option key={k} value={`domain:${k}`}>condition: {d.prompt}</option>)}
    </optgroup>
  );
}
