import { useEffect, useState } from 'react';
import './styles.css';
import { canRedo, canUndo } from '../state/project.ts';
import { exportStudentJson, importStudentJson } from '../state/exportStudent.ts';
import { studio, useStudio } from '../state/useStudio.ts';
import { exportProjectZip, importProjectZip, thumbMime } from '../state/projectZip.ts';
import { ProjectView } from './project/ProjectView.tsx';
import { PerformanceView } from './performance/PerformanceView.tsx';
import { ConceptsView } from './concepts/ConceptsView.tsx';
import { ImagesView } from './images/ImagesView.tsx';
import { CompareView } from './compare/CompareView.tsx';
import { HistoryView } from './history/HistoryView.tsx';
import { SaveBanner } from './components/SaveBanner.tsx';

/** True when focus is in a field where Ctrl+Z means "undo my typing", not "undo a step". */
function isTextField(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement) return true;
  if (el instanceof HTMLInputElement) return !['range', 'checkbox', 'radio', 'button', 'submit', 'file', 'color'].includes(el.type);
  return (el as HTMLElement).isContentEditable;
}

export function UndoRedo() {
  useStudio((s) => s.settled);
  const session = studio().session;
  const undoable = session != null && canUndo(session);
  const redoable = session != null && canRedo(session);
  return (
    <>
      <button disabled={!undoable} onClick={() => studio().commit({ type: 'undo' })} aria-keyshortcuts="Control+Z Meta+Z" title="Undo (Ctrl/⌘+Z)">↶ Undo</button>
      <button disabled={!redoable} onClick={() => studio().commit({ type: 'redo' })} aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z" title="Redo (Ctrl/⌘+Shift+Z)">↷ Redo</button>
    </>
  );
}

function download(name: string, text: string | Uint8Array, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Export and import of the student JSON (core/schema); a bad file shows its message and changes nothing. */
function StudentFile() {
  const hasStudent = useStudio((s) => s.ensemble != null);
  const [error, setError] = useState('');
  return (
    <>
      <label className="filebtn" title="Read a student JSON exported by the studio or the command line">
        Import student JSON
        <input type="file" className="sr-only" accept=".json,application/json" aria-label="Import student JSON" disabled={!hasStudent}
          onChange={async (e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (!f) return;
            const r = importStudentJson(studio(), await f.text(), f.name);
            setError(r.ok ? '' : r.error);
            studio().announce(r.ok ? `${r.label}.` : `Import failed: ${r.error}`);
          }} />
      </label>
      <button
        className="primary"
        disabled={!hasStudent}
        onClick={() => {
          const s = studio();
          try {
            download('student.json', exportStudentJson(s));
            setError('');
            s.announce('Student exported as student.json.');
          } catch (err) {
            setError(`Export failed: ${(err as Error).message}`);
          }
        }}
      >
        Export student JSON
      </button>
      {error && (
        <div className="file-error" role="alert" data-testid="student-file-error">
          <span className="grow">{error}</span>
          <button className="link" aria-label="Dismiss message" onClick={() => setError('')}>×</button>
        </div>
      )}
    </>
  );
}

/** Whole project as one zip (data/project): export, and open with full validation first. */
function ProjectFile() {
  const has = useStudio((s) => s.session != null);
  const [error, setError] = useState('');
  return (
    <>
      <label className="filebtn" title="Open a whole project (.zip) exported by the studio: images' data, student and history">
        Open project…
        <input type="file" className="sr-only" accept=".zip,application/zip" aria-label="Open project file"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (!f) return;
            const r = importProjectZip(studio(), new Uint8Array(await f.arrayBuffer()), f.name,
              (t) => URL.createObjectURL(new Blob([t.bytes as BlobPart], { type: thumbMime(t.ext) })));
            setError(r.ok ? '' : r.error);
            studio().announce(r.ok ? `${r.label}.` : `Opening the project failed: ${r.error}`);
          }} />
      </label>
      <button disabled={!has} onClick={async () => {
        const s = studio();
        try {
          download('project.zip', await exportProjectZip(s), 'application/zip');
          setError('');
          s.announce('Project exported as project.zip.');
        } catch (err) {
          setError(`Project export failed: ${(err as Error).message}`);
        }
      }}>Export project</button>
      {error && (
        <div className="file-error" role="alert" data-testid="project-file-error">
          <span className="grow">{error}</span>
          <button className="link" aria-label="Dismiss message" onClick={() => setError('')}>×</button>
        </div>
      )}
    </>
  );
}

export function Studio() {
  const name = useStudio((s) => s.dataset?.name ?? 'No project');
  const announce = useStudio((s) => s.ui.announce);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      const k = e.key.toLowerCase();
      if (k !== 'z' && k !== 'y') return;
      if (isTextField(document.activeElement)) return;
      e.preventDefault();
      studio().commit({ type: k === 'y' || e.shiftKey ? 'redo' : 'undo' });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="studio">
      <header className="topbar">
        <h1>Concept Tuning Studio</h1>
        <span className="dataset ellipsis">{name}</span>
        <span className="spacer" />
        <UndoRedo />
        <ProjectFile />
        <StudentFile />
      </header>
      <SaveBanner />
      <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="live-region">{announce}</div>
      <main className="columns">
        <div className="column">
          <ProjectView />
          <PerformanceView />
        </div>
        <div className="column">
          <ConceptsView />
          <CompareView />
        </div>
        <div className="column">
          <ImagesView />
          <HistoryView />
        </div>
      </main>
    </div>
  );
}
