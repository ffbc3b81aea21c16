import { useEffect, useState } from 'react';
import { autosave, useSaveStatus } from '../../state/autosave.ts';
import { useShallow } from '../../state/useStudio.ts';

/** "12.3 MB", "840 kB": storage sizes in the units a file manager uses. */
export function fmtBytes(b: number | null): string {
  if (b == null) return '—';
  if (b < 1e3) return `${b} B`;
  if (b < 1e6) return `${(b / 1e3).toFixed(b < 1e4 ? 1 : 0)} kB`;
  if (b < 1e9) return `${(b / 1e6).toFixed(b < 1e7 ? 1 : 0)} MB`;
  return `${(b / 1e9).toFixed(1)} GB`;
}

/** "14:05" today, "3 Nov, 14:05" otherwise. */
function when(t: number): string {
  if (!t) return '—';
  const d = new Date(t);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === new Date().toDateString() ? `today ${time}` : `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' })}, ${time}`;
}

function openProject(id: string) {
  void autosave()?.flush().finally(() => location.assign(`${location.pathname}?project=${encodeURIComponent(id)}`));
}

/**
 * Saved projects in this browser: name, last saved, size; open one or delete it (with a
 * confirmation). The total the browser reports for the site, and a request for persistent
 * storage so the browser does not clear projects when the disk runs low.
 */
export function SavedProjectsSection() {
  const st = useSaveStatus(useShallow((s) => ({ projects: s.projects, current: s.projectId, usage: s.usage, quota: s.quota, persisted: s.persisted })));
  const [confirm, setConfirm] = useState<string | null>(null);
  const [note, setNote] = useState<{ text: string; bad: boolean } | null>(null);
  useEffect(() => { void autosave()?.refresh(); }, []);
  const total = st.projects.reduce((n, p) => n + p.bytes, 0);
  return (
    <details open data-testid="saved-projects">
      <summary><h3 style={{ display: 'inline' }}>Saved projects</h3></summary>
      <p className="small muted" style={{ margin: '0 0 4px' }}>
        Projects are saved in this browser as you work: {st.projects.length} saved, {fmtBytes(total)}
        {st.usage != null && <> · the studio uses {fmtBytes(st.usage)}{st.quota ? ` of ${fmtBytes(st.quota)} the browser allows` : ''} (models and image caches included)</>}.
      </p>
      {st.projects.length > 0 && (
        <ul aria-label="Saved projects" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
          {st.projects.map((p) => (
            <li key={p.id} className="small" style={{ borderTop: '1px solid var(--line)', padding: '3px 0' }}>
              <div className="ellipsis" title={p.name}><strong>{p.name}</strong></div>
              <div className="row" style={{ gap: 6 }}>
                <span className="muted grow">saved {when(p.savedAt)} · {fmtBytes(p.bytes)}</span>
                {p.id === st.current ? <span className="muted">open in this tab</span> : confirm === p.id ? (
                  <span role="group" aria-label={`Confirm deleting ${p.name}`}>
                    <button className="danger" onClick={async () => {
                      setConfirm(null);
                      try {
                        await autosave()?.remove(p.id);
                        setNote({ text: `Deleted ${p.name} (${fmtBytes(p.bytes)} freed).`, bad: false });
                      } catch (e) {
                        setNote({ text: `Could not delete ${p.name}: ${(e as Error).message}`, bad: true });
                      }
                    }}>Delete for good</button>{' '}
                    <button onClick={() => setConfirm(null)}>Keep</button>
                  </span>
                ) : (
                  <>
                    <button aria-label={`Open ${p.name}`} onClick={() => openProject(p.id)}>Open</button>
                    <button aria-label={`Delete ${p.name}`} onClick={() => setConfirm(p.id)}>Delete…</button>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {confirm && <p className="small" role="alert" style={{ margin: '4px 0' }}>Delete “{st.projects.find((p) => p.id === confirm)?.name}” from this browser? Its history cannot be brought back unless you exported it.</p>}
      {note && <p className={`small ${note.bad ? 'neg' : ''}`} role="status" style={{ margin: '4px 0' }}>{note.text}</p>}
      <p className="small" style={{ margin: '4px 0 0' }} data-testid="persist-status">
        {st.persisted
          ? 'Storage is persistent: the browser keeps these projects until you delete them.'
          : <>The browser may clear saved projects when the disk runs low (best-effort storage).{' '}
            <button onClick={async () => {
              const r = await autosave()?.requestPersistence();
              setNote(r ? { text: 'Persistent storage granted.', bad: false }
                : { text: 'The browser did not grant persistent storage (browsers grant it to sites you use often, bookmark or install). Export projects you care about as files.', bad: true });
            }}>Keep my projects safe</button></>}
      </p>
    </details>
  );
}
