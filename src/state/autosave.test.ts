import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  claimProject, deleteProjectRecord, listProjects, loadProjectRecord, projectEntry, saveProjectRecord,
} from '../data/persist/projectDb.ts';
import type { HeldLock, TabLocks, TabMessage } from '../data/persist/tabLock.ts';
import { createAutosave, projectIdOf, type Autosave, type PersistApi } from './autosave.ts';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { createStudioStore, type StudioStore } from './store.ts';

/** Web Locks + BroadcastChannel between "tabs" of one process, with the browser's semantics. */
function lockHub() {
  const holders = new Map<string, { tab: string; onLost: () => void; token: object }>();
  const waiters = new Map<string, { tab: string; onLost: () => void; grant: (l: HeldLock) => void }[]>();
  const listeners = new Set<{ tab: string; fn: (m: TabMessage) => void }>();
  const grant = (id: string, tab: string, onLost: () => void): HeldLock => {
    const token = {};
    holders.set(id, { tab, onLost, token });
    return {
      release() {
        if (holders.get(id)?.token !== token) return;
        holders.delete(id);
        const next = waiters.get(id)?.shift();
        if (next) next.grant(grant(id, next.tab, next.onLost));
      },
    };
  };
  return {
    holder: (id: string) => holders.get(id)?.tab ?? null,
    closeTab(tab: string) {
      for (const [id, h] of [...holders]) if (h.tab === tab) holders.delete(id);
    },
    tab(tab: string): TabLocks {
      return {
        tryHold: async (id, onLost) => (holders.has(id) ? null : grant(id, tab, onLost)),
        steal: async (id, onLost) => {
          const prev = holders.get(id);
          const l = grant(id, tab, onLost);
          if (prev) setTimeout(prev.onLost, 0); // the old holder's request rejects with AbortError
          return l;
        },
        held: async (id) => holders.has(id),
        waitFor: (id, onLost, signal) => new Promise((resolve) => {
          if (!holders.has(id)) return resolve(grant(id, tab, onLost));
          const w = { tab, onLost, grant: resolve };
          waiters.set(id, [...(waiters.get(id) ?? []), w]);
          signal.addEventListener('abort', () => {
            waiters.set(id, (waiters.get(id) ?? []).filter((x) => x !== w));
            resolve(null);
          });
        }),
        post: (m) => { for (const l of listeners) if (l.tab !== tab) setTimeout(() => l.fn(m), 0); },
        listen(fn) {
          const l = { tab, fn };
          listeners.add(l);
          return () => listeners.delete(l);
        },
      };
    },
  };
}

const realDb: PersistApi = { save: saveProjectRecord, load: loadProjectRecord, claim: claimProject, entry: projectEntry, list: listProjects, remove: deleteProjectRecord };

function newStore(): StudioStore {
  return createStudioStore();
}
function loadSynthetic(store: StudioStore, N = 300) {
  const { dataset, ensemble } = makeSyntheticProject({ seed: 5, N });
  store.getState().commit({ type: 'load', dataset, ensemble, label: 'Load synthetic' });
}
const W = (s: StudioStore) => Array.from(s.getState().session!.state.ensemble!.served.W);
const nodes = (s: StudioStore) => Object.keys(s.getState().session!.history.nodes).length;
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

function tab(hub: ReturnType<typeof lockHub>, name: string, db: PersistApi = realDb): { store: StudioStore; a: Autosave } {
  const store = newStore();
  const a = createAutosave(store, { db, locks: hub.tab(name), tabId: name, handoverMs: 200 });
  return { store, a };
}

afterEach(() => vi.useRealTimers());

describe('two tabs on one project', () => {
  it('the later tab is read-only, refuses edits, and the first tab\'s work is never overwritten', async () => {
    const hub = lockHub();
    const A = tab(hub, 'A');
    loadSynthetic(A.store);
    await A.a.save(A.store.getState());
    const id = projectIdOf(A.store.getState())!;
    expect(A.a.status.getState()).toMatchObject({ mode: 'writer', projectId: id });

    const B = tab(hub, 'B');
    expect(await B.a.restore(id)).toBe(true);
    expect(B.a.status.getState()).toMatchObject({ mode: 'readOnly', readOnlyReason: 'otherTab', projectId: id });
    // B's edits are refused in memory (and said so), so B has nothing to save.
    const before = W(B.store);
    B.store.getState().commit({ type: 'relabel', concept: 0, name: 'from tab B' });
    expect(B.store.getState().session!.state.concepts[0].name).not.toBe('from tab B');
    expect(B.store.getState().ui.announce).toMatch(/read-only/);
    expect(W(B.store)).toEqual(before);
    const n = nodes(B.store);
    await B.store.getState().tune('banAll', 0, 0); // a refit is refused before it starts
    expect(B.store.getState().busy).toBe(false);
    expect(nodes(B.store)).toBe(n);
    expect(W(B.store)).toEqual(before);
    await B.a.save(B.store.getState());

    // Nobody deletes a project another tab has open.
    const C = tab(hub, 'C');
    loadSynthetic(C.store, 100);
    await C.a.save(C.store.getState());
    await expect(C.a.remove(id)).rejects.toThrow(/open in another tab/);
    // A keeps editing and saving; the saved project is A's.
    A.store.getState().commit({ type: 'relabel', concept: 0, name: 'from tab A' });
    await A.a.save(A.store.getState());
    const rec = await loadProjectRecord(id);
    expect((rec!.payload as { session: { state: { concepts: { name: string }[] } } }).session.state.concepts[0].name).toBe('from tab A');
  });

  it('take over: the new writer starts from the other tab\'s last save; the old tab turns read-only and cannot overwrite', async () => {
    const hub = lockHub();
    const A = tab(hub, 'A2');
    loadSynthetic(A.store);
    await A.a.save(A.store.getState());
    const id = projectIdOf(A.store.getState())!;
    const B = tab(hub, 'B2');
    await B.a.restore(id);
    expect(B.a.status.getState().mode).toBe('readOnly');
    // A made a change that only its debounce holds (not yet saved) when B takes over.
    A.store.getState().commit({ type: 'relabel', concept: 1, name: 'late A edit' });
    await B.a.takeOver();
    expect(B.a.status.getState()).toMatchObject({ mode: 'writer', readOnlyReason: null });
    expect(A.a.status.getState()).toMatchObject({ mode: 'readOnly', readOnlyReason: 'takenOver' });
    expect(hub.holder(id)).toBe('B2');
    // A wrote its last change on the way out, and B took the project over from there.
    expect(B.store.getState().session!.state.concepts[1].name).toBe('late A edit');
    expect(nodes(B.store)).toBe(nodes(A.store));
    B.store.getState().commit({ type: 'relabel', concept: 2, name: 'B edit' });
    await B.a.save(B.store.getState());
    // A is refused in memory and by the generation fence if it tried to write anyway.
    A.store.getState().commit({ type: 'relabel', concept: 2, name: 'stale A edit' });
    expect(A.store.getState().session!.state.concepts[2].name).not.toBe('stale A edit');
    await A.a.flush();
    const rec = await loadProjectRecord(id);
    expect((rec!.payload as { session: { state: { concepts: { name: string }[] } } }).session.state.concepts[2].name).toBe('B edit');
  });

  it('without Web Locks the generation fence alone stops the older tab from overwriting', async () => {
    const storeA = newStore();
    const a = createAutosave(storeA, { db: realDb, locks: null, tabId: 'A3' });
    loadSynthetic(storeA);
    await a.save(storeA.getState());
    const id = projectIdOf(storeA.getState())!;
    const storeB = newStore();
    const b = createAutosave(storeB, { db: realDb, locks: null, tabId: 'B3' });
    await b.restore(id); // no lock to ask: B claims the project (a later generation)
    expect(b.status.getState().mode).toBe('writer');
    storeB.getState().commit({ type: 'relabel', concept: 0, name: 'B wins' });
    await b.save(storeB.getState());
    storeA.getState().commit({ type: 'relabel', concept: 0, name: 'A loses' });
    await a.save(storeA.getState());
    expect(a.status.getState()).toMatchObject({ mode: 'readOnly', readOnlyReason: 'takenOver' });
    const rec = await loadProjectRecord(id);
    expect((rec!.payload as { session: { state: { concepts: { name: string }[] } } }).session.state.concepts[0].name).toBe('B wins');
  });

  it('when the writer tab moves to another project, the waiting tab takes over with the latest save', async () => {
    const hub = lockHub();
    const A = tab(hub, 'A4');
    loadSynthetic(A.store);
    A.store.getState().commit({ type: 'relabel', concept: 0, name: 'A4 edit' });
    await A.a.save(A.store.getState());
    const id = projectIdOf(A.store.getState())!;
    const B = tab(hub, 'B4');
    await B.a.restore(id);
    expect(B.a.status.getState().mode).toBe('readOnly');
    await tick(2); // a new project gets a new root time, hence a new id
    loadSynthetic(A.store, 200);
    await A.a.save(A.store.getState());
    expect(projectIdOf(A.store.getState())).not.toBe(id);
    for (let i = 0; i < 50 && B.a.status.getState().mode !== 'writer'; i++) await tick();
    expect(B.a.status.getState()).toMatchObject({ mode: 'writer', projectId: id });
    expect(hub.holder(id)).toBe('B4');
    expect(B.store.getState().session!.state.concepts[0].name).toBe('A4 edit');
  });
});

describe('a full disk', () => {
  it('reports it in plain words, keeps the last good save and the work in memory, and saves again once there is room', async () => {
    let full = false;
    const db: PersistApi = {
      ...realDb,
      save: (id, r, o) => (full ? Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError')) : realDb.save(id, r, o)),
    };
    const hub = lockHub();
    const T = tab(hub, 'Q', db);
    loadSynthetic(T.store);
    await T.a.save(T.store.getState());
    const id = projectIdOf(T.store.getState())!;
    const good = await loadProjectRecord(id);
    full = true;
    T.store.getState().commit({ type: 'relabel', concept: 0, name: 'made while full' });
    await T.a.save(T.store.getState());
    const err = T.a.status.getState().error;
    expect(err?.kind).toBe('quota');
    expect(err?.text).toMatch(/storage for this site is full/);
    expect(err?.text).toMatch(/delete projects you no longer need/);
    expect(err?.text).toMatch(/export this project/i);
    expect(err?.text).toMatch(/your work stays open in this tab/);
    // In memory: the change is there; on disk: the last good save, untouched.
    expect(T.store.getState().session!.state.concepts[0].name).toBe('made while full');
    expect((await loadProjectRecord(id))!.savedAt).toBe(good!.savedAt);
    // Room again (the user deleted an old project): the next save goes through and clears the message.
    full = false;
    await T.a.flush();
    expect(T.a.status.getState().error).toBeNull();
    const rec = await loadProjectRecord(id);
    expect((rec!.payload as { session: { state: { concepts: { name: string }[] } } }).session.state.concepts[0].name).toBe('made while full');
  });

  it('a reload while the disk is full still opens the last save (even the writer claim is refused)', async () => {
    let full = false;
    const quota = () => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    const db: PersistApi = {
      ...realDb,
      save: (id, r, o) => (full ? quota() : realDb.save(id, r, o)),
      claim: (id) => (full ? quota() : realDb.claim(id)),
    };
    const hub = lockHub();
    const A = tab(hub, 'F1', db);
    loadSynthetic(A.store);
    await A.a.save(A.store.getState());
    const id = projectIdOf(A.store.getState())!;
    const n = nodes(A.store);
    full = true;
    hub.closeTab('F1'); // A's tab is closed: its lock goes with it
    const B = tab(hub, 'F2', db);
    expect(await B.a.restore(id)).toBe(true);
    expect(nodes(B.store)).toBe(n);
    expect(B.a.status.getState().error?.kind).toBe('quota');
    full = false;
    B.store.getState().commit({ type: 'relabel', concept: 0, name: 'after room' });
    await B.a.save(B.store.getState());
    expect(B.a.status.getState().error).toBeNull();
  });
});

describe('autosave timing', () => {
  it('every committed change is handed to the save within 800 ms, even during a long drag', () => {
    vi.useFakeTimers();
    const saves: number[] = [];
    const store = createStudioStore({ save: () => void saves.push(Date.now()) });
    const { dataset, ensemble } = makeSyntheticProject({ seed: 5, N: 200 });
    const t0 = Date.now();
    store.getState().commit({ type: 'load', dataset, ensemble, label: 'Load' });
    vi.advanceTimersByTime(700);
    expect(saves.map((t) => t - t0)).toEqual([600]); // a single change: after 600 ms of quiet
    // A 3-second drag, one move every 50 ms: saves keep coming, never more than 800 ms apart.
    store.getState().commit({ type: 'beginEdit', cls: 0, concept: 0 });
    const dragStart = Date.now();
    for (let i = 0; i < 60; i++) {
      store.getState().commit({ type: 'quickEdit', cls: 0, concept: 0, value: i / 10 });
      vi.advanceTimersByTime(50);
    }
    store.getState().commit({ type: 'endEdit' });
    vi.advanceTimersByTime(1000);
    const during = saves.filter((t) => t >= dragStart);
    expect(during.length).toBeGreaterThanOrEqual(3);
    let prev = dragStart;
    for (const t of during) {
      expect(t - prev).toBeLessThanOrEqual(800);
      prev = t;
    }
  });
});

describe('storage estimate and persistence', () => {
  it('shows the browser\'s usage estimate and asks for persistent storage on request', async () => {
    let persisted = false;
    const store = newStore();
    const a = createAutosave(store, {
      db: realDb, locks: null, tabId: 'S',
      storage: { estimate: async () => ({ usage: 12_345, quota: 1e9 }), persisted: async () => persisted, persist: async () => (persisted = true) },
    });
    loadSynthetic(store);
    await a.save(store.getState());
    await a.refresh();
    expect(a.status.getState()).toMatchObject({ usage: 12_345, quota: 1e9, persisted: false });
    const me = a.status.getState().projects.find((p) => p.id === a.status.getState().projectId)!;
    expect(me.name).toMatch(/Synthetic/);
    expect(me.bytes).toBeGreaterThan(1000);
    expect(await a.requestPersistence()).toBe(true);
    expect(a.status.getState().persisted).toBe(true);
    // The open project cannot be deleted from under this tab.
    await expect(a.remove(me.id)).rejects.toThrow(/open project/);
  });
});

describe('saves while one is in flight', () => {
  it('join one queued save that writes the newest state (a slow disk does not build a backlog)', async () => {
    let calls = 0;
    const db: PersistApi = { ...realDb, save: async (id, r, o) => { calls++; await tick(30); return realDb.save(id, r, o); } };
    const store = newStore();
    const a = createAutosave(store, { db, locks: null, tabId: 'slow' });
    loadSynthetic(store);
    const first = a.save(store.getState());
    while (calls === 0) await tick(1); // the first save is writing now
    const later = [0, 1, 2, 3, 4].map((k) => {
      store.getState().commit({ type: 'relabel', concept: 0, name: `name ${k}` });
      return a.save(store.getState());
    });
    await Promise.all([first, ...later]);
    expect(calls).toBe(2);
    const rec = await loadProjectRecord(projectIdOf(store.getState())!);
    expect((rec!.payload as { session: { state: { concepts: { name: string }[] } } }).session.state.concepts[0].name).toBe('name 4');
  });
});
