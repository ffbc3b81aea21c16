import { useEffect } from 'react';
import './styles.css';
import { redoTarget, undoTarget } from '../state/history.ts';
import { exportStudentJson } from '../state/exportStudent.ts';
import { studio, useStudio } from '../state/useStudio.ts';
import { ProjectView } from './project/ProjectView.tsx';
import { PerformanceView } from './performance/PerformanceView.tsx';
import { ConceptsView } from './concepts/ConceptsView.tsx';
import { ImagesView } from './images/ImagesView.tsx';
import { CompareView } from './compare/CompareView.tsx';
import { HistoryView } from './history/HistoryView.tsx';

/** True when focus is in a field where Ctrl+Z means "undo my typing", not "undo a step". */
function isTextField(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement) return true;
  if (el instanceof HTMLInputElement) return !['range', 'checkbox', 'radio', 'button', 'submit', 'file', 'color'].includes(el.type);
  return (el as HTMLElement).isContentEditable;
}

export function UndoRedo() {
  useStudio((s) => s.settled);
  const tree = studio().tree;
  const canUndo = undoTarget(tree) != null;
  const canRedo = redoTarget(tree) != null;
  return (
    <>
      <button disabled={!canUndo} onClick={() => studio().commit({ type: 'undo' })} aria-keyshortcuts="Control+Z Meta+Z" title="Undo (Ctrl/⌘+Z)">↶ Undo</button>
      <button disabled={!canRedo} onClick={() => studio().commit({ type: 'redo' })} aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z" title="Redo (Ctrl/⌘+Shift+Z)">↷ Redo</button>
    </>
  );
}

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function Studio() {
  const name = useStudio((s) => s.dataset?.name ?? 'No project');
  const announce = useStudio((s) => s.ui.announce);
  const hasStudent = useStudio((s) => s.ensemble != null);

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
        <button
          className="primary"
          disabled={!hasStudent}
          onClick={() => {
            const s = studio();
            download('student.json', exportStudentJson(s));
            s.announce('Student exported as student.json.');
          }}
        >
          Export student JSON
        </button>
      </header>
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
