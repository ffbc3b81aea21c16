import { autosave, useSaveStatus } from '../../state/autosave.ts';
import { useShallow } from '../../state/useStudio.ts';
import './saveBanner.css';

/**
 * Under the top bar: this tab is read-only (the project is open in another tab) with the way to
 * take over, or the last save failed (a full disk, in plain words, with what to do).
 */
export function SaveBanner() {
  const st = useSaveStatus(useShallow((s) => ({ mode: s.mode, reason: s.readOnlyReason, error: s.error, busy: s.busy })));
  if (st.mode !== 'readOnly' && !st.error) return null;
  return (
    <div className="save-banners">
      {st.mode === 'readOnly' && (
        <div className="save-banner readonly" role="status" data-testid="readonly-banner">
          <span className="grow">
            {st.reason === 'takenOver'
              ? 'This project was taken over in another tab; this tab is read-only now, so nothing here overwrites that tab\'s work.'
              : 'This project is open in another tab; this tab is read-only.'}{' '}
            You can look around; to make changes here, take over (the other tab then becomes read-only).
          </span>
          <button className="primary" disabled={st.busy} onClick={() => void autosave()?.takeOver()}>{st.busy ? 'Taking over…' : 'Take over here'}</button>
        </div>
      )}
      {st.error && (
        <div className={`save-banner ${st.error.kind}`} role="alert" data-testid="save-error">
          <span className="grow">{st.error.text}</span>
          <button onClick={() => void autosave()?.flush()}>Try saving again</button>
        </div>
      )}
    </div>
  );
}
