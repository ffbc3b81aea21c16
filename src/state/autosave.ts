/**
 * The autosave controller: which saved project this tab has open, whether this tab may write it
 * (one writer per project; a later tab is read-only until the user takes over), what happened to
 * the last save (a full disk is reported in plain words and the work stays open in memory), and
 * the saved-projects list. The Project view and the banner read `saveStatus`; the app creates
 * the controller with the real IndexedDB and Web Locks, tests with fakes.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { ProjectEntry, SaveOptions, StoredRecord } from '../data/persist/projectDb.ts';
import { partKey, StaleWriterError } from '../data/persist/projectDb.ts';
import { approxBytes, isQuotaError } from '../data/persist/quota.ts';
import type { HeldLock, TabLocks, TabMessage } from '../data/persist/tabLock.ts';
import { fromSaved, SAVE_VERSION, toSaved } from './persistence.ts';
import type { StudioAction } from './actions.ts';
import type { StudioState, StudioStore } from './store.ts';

export interface SaveStatus {
  /** The saved project this tab shows (null before the first project exists). */
  projectId: string | null;
  /** 'writer': this tab saves the project; 'readOnly': another tab does. */
  mode: 'writer' | 'readOnly';
  /** Why read-only: the project was already open elsewhere, or another tab took it over from this one. */
  readOnlyReason: 'otherTab' | 'takenOver' | null;
  lastSavedAt: number | null;
  /** How long the last save took to commit in IndexedDB, ms (measured, for the note and the e2e log). */
  lastWriteMs: number | null;
  /** The last save failed; `kind` quota = the browser's storage is full. */
  error: { kind: 'quota' | 'other'; text: string } | null;
  /** Saved projects, newest first. */
  projects: ProjectEntry[];
  /** navigator.storage.estimate(), bytes. */
  usage: number | null;
  quota: number | null;
  /** navigator.storage.persisted(); null where the browser cannot tell. */
  persisted: boolean | null;
  busy: boolean;
}

const initialStatus = (): SaveStatus => ({
  projectId: null, mode: 'writer', readOnlyReason: null, lastSavedAt: null, lastWriteMs: null, error: null,
  projects: [], usage: null, quota: null, persisted: null, busy: false,
});
const noStatus = createStore<SaveStatus>()(initialStatus);

/** The installed controller's status (views). */
export function useSaveStatus<T>(selector: (s: SaveStatus) => T): T {
  return useStore(bound?.status ?? noStatus, selector);
}

/** What the controller needs from IndexedDB (data/persist/projectDb.ts in the app). */
export interface PersistApi {
  save(id: string, record: StoredRecord, opts: SaveOptions): Promise<void>;
  load(id: string): Promise<StoredRecord | null>;
  claim(id: string): Promise<number>;
  entry(id: string): Promise<{ gen: number } | null>;
  list(): Promise<ProjectEntry[]>;
  remove(id: string): Promise<void>;
}

/** What the controller needs from navigator.storage (absent in tests and old browsers). */
export interface StorageApi {
  estimate?(): Promise<{ usage?: number; quota?: number }>;
  persisted?(): Promise<boolean>;
  persist?(): Promise<boolean>;
}

export interface AutosaveDeps {
  db: PersistApi;
  locks: TabLocks | null;
  storage?: StorageApi | null;
  /** Remembers the project to reopen on the next visit (localStorage in the app). */
  remember?: { get(): string | null; set(id: string): void };
  /** Told when this tab's project changes (the app keeps a `?project=` address pointing at it). */
  onProject?: (id: string) => void;
  /** How long a take-over waits for the other tab to write its last changes. */
  handoverMs?: number;
  tabId?: string;
}

/** Actions a read-only tab may still run: view changes, opening or creating another project. */
const ALLOWED_READ_ONLY = new Set<StudioAction['type']>(['ui', 'load', 'hydrate']);

const READ_ONLY_NOTE = 'This tab is read-only because the project is open in another tab. Use "Take over here" to make changes in this tab.';

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/**
 * A project's id: the time its provenance tree was started plus its name. Stable across
 * reloads (the tree is saved), new for every project created or imported.
 */
export function projectIdOf(s: Pick<StudioState, 'session' | 'dataset'>): string | null {
  const h = s.session?.history;
  if (!h || !s.dataset) return null;
  const root = h.nodes[h.rootId];
  return `p${Math.round(root?.time ?? 0).toString(36)}-${fnv(s.dataset.name)}`;
}

export function quotaMessage(lastSavedAt: number | null): string {
  const last = lastSavedAt ? `The last save (${new Date(lastSavedAt).toLocaleTimeString()}) is kept` : 'Earlier saves are kept';
  return `Could not save: the browser's storage for this site is full. ${last}, and your work stays open in this tab, but new changes are not saved yet. ` +
    'To make room, delete projects you no longer need under Project › Saved projects, or export this project as a file (Export project) and then delete it here. Saving starts again with your next change.';
}

export interface Autosave {
  status: StoreApi<SaveStatus>;
  /** The store's save hook (debounced by the store). */
  save(s: StudioState): Promise<void>;
  /** Save now (page hiding, a hand-over). */
  flush(): Promise<void>;
  /** Boot: the project to reopen (`preferred` from the URL, else the last one), hydrated into the store; false if none. */
  restore(preferred?: string | null): Promise<boolean>;
  /** Become this project's writer, taking it from the tab that has it. */
  takeOver(): Promise<void>;
  remove(id: string): Promise<void>;
  refresh(): Promise<void>;
  requestPersistence(): Promise<boolean | null>;
}

export function createAutosave(store: StudioStore, deps: AutosaveDeps): Autosave {
  const { db, locks } = deps;
  const tab = deps.tabId ?? Math.random().toString(36).slice(2);
  const saveStatus = createStore<SaveStatus>()(initialStatus);
  const set = (p: Partial<SaveStatus>) => saveStatus.setState(p);
  let gen: number | undefined;
  let lock: HeldLock | null = null;
  let waiting: AbortController | null = null;
  /** Ids whose first save may drop a legacy record (a v1 'current' project). */
  let legacy: string | null = null;
  /** Serialises switching projects, saves and take-overs within this tab. */
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const r = chain.then(fn);
    chain = r.catch(() => undefined);
    return r;
  };

  // Read-only tabs refuse recorded changes, and refits before they start (views stay usable for looking around).
  const st0 = store.getState();
  const refuse = () => {
    const ro = saveStatus.getState().mode === 'readOnly';
    if (ro) store.getState().announce(READ_ONLY_NOTE);
    return ro;
  };
  store.setState({
    commit: (a: StudioAction) => {
      if (!ALLOWED_READ_ONLY.has(a.type) && refuse()) return;
      st0.commit(a);
    },
    tuneMany: (requests, label) => (refuse() ? Promise.resolve() : st0.tuneMany(requests, label)),
    distill: () => (refuse() ? Promise.resolve() : st0.distill()),
    confirmProposal: () => (refuse() ? Promise.resolve() : st0.confirmProposal()),
  });

  const readOnly = (reason: 'otherTab' | 'takenOver') => {
    gen = undefined;
    set({ mode: 'readOnly', readOnlyReason: reason });
  };

  /** Wait (in the background) for the writer to let go; then take the project over with its latest save. */
  const waitForRelease = (id: string) => {
    if (!locks) return;
    waiting?.abort();
    const ctrl = new AbortController();
    waiting = ctrl;
    void locks.waitFor(id, onLost, ctrl.signal).then((l) => {
      if (!l || ctrl.signal.aborted || saveStatus.getState().projectId !== id) {
        l?.release();
        return;
      }
      waiting = null;
      void serial(() => becomeWriter(id, l, true));
    }, () => undefined);
  };

  function onLost() {
    // Another tab stole the lock: stop writing at once, write what this tab had, say so.
    const id = saveStatus.getState().projectId;
    const last = gen;
    lock = null;
    set({ mode: 'readOnly', readOnlyReason: 'takenOver' });
    void serial(async () => {
      if (id && last !== undefined) await writeState(store.getState(), id, last).catch(() => undefined);
      gen = undefined;
      locks?.post({ type: 'released', id: id ?? '', tab });
    });
  }

  async function becomeWriter(id: string, l: HeldLock | null, reload: boolean): Promise<void> {
    lock = l;
    try {
      gen = await db.claim(id);
    } catch (e) {
      // A full disk refuses even the claim; this tab holds the lock, so it writes under the current generation.
      gen = (await db.entry(id).catch(() => null))?.gen ?? 0;
      failed(e);
    }
    if (reload) {
      // The other tab's last save is the truth now; this tab's view of it may be older.
      const rec = await db.load(id);
      const r = rec ? fromSaved(rec.version, rec.payload) : null;
      if (r && !('error' in r)) {
        store.getState().commit({ type: 'hydrate', ...r });
        written = savedParts(store.getState());
      }
    }
    set({ mode: 'writer', readOnlyReason: null, projectId: id });
  }

  /** Open `id` for writing if no other tab has it, else read-only (waiting for it to be free). */
  async function attach(id: string): Promise<void> {
    if (lock) lock.release();
    lock = null;
    waiting?.abort();
    waiting = null;
    gen = undefined;
    set({ projectId: id });
    deps.onProject?.(id);
    if (locks) {
      const l = await locks.tryHold(id, onLost);
      if (!l) {
        readOnly('otherTab');
        waitForRelease(id);
        return;
      }
      await becomeWriter(id, l, false);
    } else await becomeWriter(id, null, false);
  }

  const datasetKeys = new WeakMap<object, string>();
  /** The parts of the last written state (a flush with nothing new writes nothing). */
  let written: unknown[] = [];
  const savedParts = (s: StudioState) => [s.dataset, s.session, s.boxes, s.training, s.ui, s.settings];
  function failed(e: unknown) {
    if (isQuotaError(e)) set({ error: { kind: 'quota', text: quotaMessage(saveStatus.getState().lastSavedAt) } });
    else set({ error: { kind: 'other', text: `Could not save: ${(e as Error)?.message ?? String(e)}. Your work stays open in this tab; the last save is kept.` } });
  }

  async function writeState(s: StudioState, id: string, g: number): Promise<void> {
    const parts = savedParts(s);
    if (parts.every((x, i) => x === written[i])) return;
    const payload = toSaved(s);
    if (!payload) return;
    const savedAt = Date.now();
    // The dataset's arrays (megabytes) are stored once per dataset version, not with every step.
    const ds = payload.dataset;
    let separate: SaveOptions['parts'];
    if (ds) {
      let k = datasetKeys.get(ds);
      if (!k?.startsWith(`${id}#`)) datasetKeys.set(ds, (k = partKey(id, 'dataset')));
      separate = { dataset: { key: k, value: ds } };
    }
    await db.save(id, { version: SAVE_VERSION, savedAt, payload }, { gen: g, name: s.dataset?.name ?? id, bytes: approxBytes(payload), parts: separate });
    written = parts;
    set({ lastSavedAt: savedAt, lastWriteMs: Date.now() - savedAt, error: null });
    deps.remember?.set(id);
    if (legacy && legacy !== id) {
      const old = legacy;
      legacy = null;
      await db.remove(old).catch(() => undefined);
    }
  }

  /** A save waiting for the one in flight: later requests join it (it writes the state as of when it runs). */
  let queued: Promise<void> | null = null;
  function save(_s?: StudioState): Promise<void> {
    if (queued) return queued;
    const run = serial(async () => {
      queued = null;
      const cur = store.getState();
      const id = projectIdOf(cur);
      if (!id) return;
      if (id !== saveStatus.getState().projectId) await attach(id);
      if (saveStatus.getState().mode === 'readOnly' || gen === undefined) return;
      try {
        await writeState(store.getState(), id, gen);
      } catch (e) {
        if (e instanceof StaleWriterError) {
          // Another tab claimed the project without this tab hearing of it (no Web Locks): never overwrite it.
          readOnly('takenOver');
          waitForRelease(id);
        } else failed(e);
        console.warn('autosave failed', e);
      }
    }).finally(() => void refresh());
    queued = run;
    return run;
  }

  async function refresh(): Promise<void> {
    const [projects, est, persisted] = await Promise.all([
      db.list().catch(() => saveStatus.getState().projects),
      deps.storage?.estimate?.().catch(() => null) ?? null,
      deps.storage?.persisted?.().catch(() => null) ?? null,
    ]);
    set({ projects, usage: est?.usage ?? null, quota: est?.quota ?? null, persisted });
  }

  locks?.listen((m: TabMessage) => {
    const st = saveStatus.getState();
    if (m.tab === tab || m.id !== st.projectId) return;
    if (m.type === 'takeover' && st.mode === 'writer' && !lock) onLost(); // no lock to lose: the message is the notice
    if (m.type === 'deleted') set({ error: { kind: 'other', text: 'This project was deleted in another tab. It stays open here; a change or "Take over here" saves it again.' } });
  });

  return {
    status: saveStatus,
    save,
    flush: () => save(),
    async restore(preferred) {
      // The project asked for, the one this browser had open last, else the most recently saved one
      // (localStorage may not have reached the disk before a crash; IndexedDB commits have).
      const newest = (await db.list().catch(() => []))[0]?.id;
      const candidates = [...new Set([preferred, deps.remember?.get(), newest, 'current'])].filter((x): x is string => !!x);
      for (const id of candidates) {
        const rec = await db.load(id).catch((e) => {
          console.warn(`could not read saved project ${id}`, e);
          return null;
        });
        if (!rec) continue;
        const r = fromSaved(rec.version, rec.payload);
        if ('error' in r) {
          console.warn(`not restoring saved project ${id}: ${r.error}`);
          continue;
        }
        store.getState().commit({ type: 'hydrate', ...r });
        set({ lastSavedAt: rec.savedAt });
        const real = projectIdOf(store.getState())!;
        if (real !== id) legacy = id; // a record saved before projects had ids: moves to its own id on the first save
        await serial(() => attach(real)).catch((e) => failed(e));
        void refresh();
        return true;
      }
      void refresh();
      return false;
    },
    takeOver: () => serial(async () => {
      const id = saveStatus.getState().projectId;
      if (!id || saveStatus.getState().mode === 'writer') return;
      set({ busy: true });
      try {
        waiting?.abort();
        waiting = null;
        let l: HeldLock | null = null;
        if (locks) {
          // Ask the writer to save and step back, then wait (bounded) for it to say it has.
          const released = new Promise<void>((ok) => {
            const off = locks.listen((m) => {
              if (m.type === 'released' && m.id === id) {
                off();
                ok();
              }
            });
            setTimeout(() => {
              off();
              ok();
            }, deps.handoverMs ?? 1500);
          });
          l = await locks.steal(id, onLost);
          locks.post({ type: 'takeover', id, tab });
          await released;
        }
        await becomeWriter(id, l, true);
      } finally {
        set({ busy: false });
      }
    }),
    async remove(id) {
      if (id === saveStatus.getState().projectId) throw new Error('the open project cannot be deleted here; open another project first');
      if (await locks?.held(id)) throw new Error('it is open in another tab; close it there first');
      await db.remove(id);
      locks?.post({ type: 'deleted', id, tab });
      await refresh();
    },
    refresh,
    async requestPersistence() {
      const r = (await deps.storage?.persist?.().catch(() => null)) ?? null;
      await refresh();
      if (r != null) set({ persisted: r });
      return r;
    },
  };
}

let bound: Autosave | null = null;
/** The app installs its controller; views call it through these. */
export function installAutosave(a: Autosave): void {
  bound = a;
}
export function autosave(): Autosave | null {
  return bound;
}
