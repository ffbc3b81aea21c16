// A refit through the real train worker (a Node worker thread running the studio's worker API):
// the store adopts the live logits the worker computed instead of recomputing them, and what the
// studio then shows (predictions, every logit, metrics, flips) is exactly what a UI-thread
// recompute of the same student gives. Undo/redo back to a student the studio just left adopts
// its kept logits (state/liveCache.ts), with the same guarantee.
import { afterAll, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createTrainClient } from '../workers/trainClient.ts';
import { inProcessEngine, setEngine, type Engine } from './engine.ts';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { createStudioStore, type StudioStore } from './store.ts';
import { liveFor, studioMetrics } from './project.ts';

const ENTRY = new URL('../../tests/support/nodeTrainWorker.mjs', import.meta.url);
const client = createTrainClient(() => {
  const w = new Worker(ENTRY);
  return { endpoint: nodeEndpoint(w), terminate: () => void w.terminate() };
});
let liveAsked = 0;
const workerEngine: Engine = {
  name: 'train worker (test)',
  tune: (input, o) => {
    if (o.liveAhat) liveAsked++;
    return client.tune(input, { signal: o.signal, onProgress: o.onProgress, liveAhat: o.liveAhat });
  },
  distill: (input, o) => client.distill(input, { signal: o.signal, onProgress: o.onProgress }),
};
afterAll(() => {
  client.dispose();
  setEngine(inProcessEngine);
});

function loaded(N: number, M?: number): StudioStore {
  const store = createStudioStore();
  const { dataset, ensemble } = makeSyntheticProject({ seed: 5, N, M });
  store.getState().commit({ type: 'load', dataset, ensemble, label: 'Load synthetic' });
  return store;
}

/** What the studio shows of its live student, and the same recomputed from scratch on this thread. */
function shownAndReference(store: StudioStore) {
  const s = store.getState();
  const ds = s.dataset!;
  const ref = liveFor(ds, s.ensemble!.served);
  const logitsOf = (l: typeof ref) => Array.from({ length: ds.N * ds.C }, (_, k) => l.logit(Math.floor(k / ds.C), k % ds.C));
  return {
    shown: { pred: Array.from(s.live!.pred), logits: logitsOf(s.live!), headPred: Array.from(s.headPred!), metrics: s.metrics },
    reference: { pred: Array.from(ref.pred), logits: logitsOf(ref), headPred: Array.from(ref.pred), metrics: studioMetrics(ds, ref.pred) },
  };
}

describe('refit result from the train worker', () => {
  it('uptune, downtune and ban: the store adopts the worker\'s live logits, equal to a recompute here', async () => {
    setEngine(workerEngine);
    const store = loaded(900, 30);
    const { M } = store.getState().dataset!;
    await store.getState().distill();
    for (const [kind, cls, j] of [['uptune', 0, 3], ['downtune', 2, 7], ['banAll', 1, 4]] as const) {
      const before = store.getState().headPred!.slice();
      await store.getState().tune(kind, cls, j, 2);
      const s = store.getState();
      expect(s.ui.announce).not.toMatch(/failed/);
      expect(s.live!.adopted).toBe(true);
      const { shown, reference } = shownAndReference(store);
      expect(shown).toEqual(reference);
      // The node's flips are the held-out images whose prediction changed.
      const head = s.session!.history.nodes[s.session!.history.head];
      const changed = Array.from(s.dataset!.split.heldOut).filter((i) => before[i] !== s.live!.pred[i]).sort((a, b) => a - b);
      expect((head.flipped ?? []).map((f) => f.image)).toEqual(changed);
      if (kind === 'banAll') for (let c = 0; c < s.dataset!.C; c++) expect(s.ensemble!.served.W[c * M + j]).toBe(0);
    }
    expect(liveAsked).toBe(3);
    // Quick edits after an adopted refit stay exact, and undo (recomputed here) agrees too.
    store.getState().commit({ type: 'beginEdit', cls: 0, concept: 3 });
    for (const v of [0.4, -0.2, 1.1]) store.getState().commit({ type: 'quickEdit', cls: 0, concept: 3, value: v });
    store.getState().commit({ type: 'endEdit' });
    let r = shownAndReference(store);
    expect(r.shown).toEqual(r.reference);
    // Undo of the drag: the ban's student, whose logits the drag changed in place: a copy was kept
    // when the drag began, and is adopted.
    store.getState().commit({ type: 'undo' });
    expect(store.getState().live!.adopted).toBe(true);
    r = shownAndReference(store);
    expect(r.shown).toEqual(r.reference);
    // Undo of the ban: the downtune's student, kept when the ban replaced it: adopted, not recomputed.
    store.getState().commit({ type: 'undo' });
    expect(store.getState().live!.adopted).toBe(true);
    r = shownAndReference(store);
    expect(r.shown).toEqual(r.reference);
    // Redo: the ban's student again, kept by the undo.
    store.getState().commit({ type: 'redo' });
    expect(store.getState().live!.adopted).toBe(true);
    r = shownAndReference(store);
    expect(r.shown).toEqual(r.reference);
  }, 60_000);
});
