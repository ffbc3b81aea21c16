/**
 * Wires the autosave controller (state/autosave.ts) to the browser: IndexedDB (data/persist),
 * Web Locks + BroadcastChannel for one writer per project, navigator.storage for the usage
 * estimate and persistence, localStorage for the project to reopen.
 */
import {
  claimProject, deleteProjectRecord, projectEntry, listProjects, loadProjectRecord, saveProjectRecord, sweepOrphans,
} from '../data/persist/projectDb.ts';
import { browserTabLocks } from '../data/persist/tabLock.ts';
import { createAutosave, installAutosave, type Autosave } from '../state/autosave.ts';
import type { StudioStore } from '../state/store.ts';

const LAST = 'concept-studio:last-project';

export function startAutosave(store: StudioStore): Autosave {
  const a = createAutosave(store, {
    db: { save: saveProjectRecord, load: loadProjectRecord, claim: claimProject, entry: projectEntry, list: listProjects, remove: deleteProjectRecord },
    locks: browserTabLocks(),
    storage: typeof navigator !== 'undefined' && navigator.storage ? navigator.storage : null,
    // A tab opened on `?project=<id>` (Saved projects › Open) keeps the address on the project it shows.
    onProject: (id) => {
      const u = new URL(location.href);
      if (u.searchParams.has('project') && u.searchParams.get('project') !== id) {
        u.searchParams.set('project', id);
        history.replaceState(history.state, '', u);
      }
    },
    remember: {
      get: () => { try { return localStorage.getItem(LAST); } catch { return null; } },
      set: (id) => { try { localStorage.setItem(LAST, id); } catch { /* private mode: reopen falls back to the newest */ } },
    },
  });
  installAutosave(a);
  // Test hook, like window.__studio: the save status (mode, last save, errors) for e2e tests.
  (window as unknown as { __autosave: Autosave }).__autosave = a;
  // Leaving the page (closing the tab, switching away on a phone): save what the debounce still holds.
  addEventListener('pagehide', () => void a.flush());
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') void a.flush(); });
  // Records left behind by a crash between a save's two steps take space and nothing points at them.
  void sweepOrphans().catch(() => 0);
  return a;
}
