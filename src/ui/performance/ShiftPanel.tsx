/** Robustness under covariate shift (METHODS §8): conditions with concept calibration, and the shift simulator. */
import { DomainSection } from '../domain/DomainSection.tsx';
import { ShiftSimulator } from '../domain/ShiftSimulator.tsx';

export function ShiftPanel() {
  return (
    <div className="shift-panel-group">
      <DomainSection />
      <ShiftSimulator />
    </div>
  );
}
