import { describe, expect, it } from 'vitest';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { createStudioStore } from './store.ts';
import { pathTo } from './history.ts';

function loaded(N = 400) {
  const store = createStudioStore();
  const { dataset, ensemble } = makeSyntheticProject({ seed: 3, N });
  store.getState().commit({ type: 'load', dataset, ensemble, label: 'Load synthetic' });
  return store;
}

const W = (store: ReturnType<typeof loaded>) => store.getState().live!.W;

describe('studio store: one commit path with provenance', () => {
  it('load makes one root node and live predictions', () => {
    const store = loaded();
    const s = store.getState();
    expect(s.tree.order).toHaveLength(1);
    expect(s.tree.nodes[s.tree.head!].parentId).toBeNull();
    expect(s.metrics!.n).toBe(80);
    expect(s.metrics!.fidelity).toBeGreaterThan(0.5);
  });

  it('a quick edit is recorded with its metrics; a drag with one merge key is one entry', () => {
    const store = loaded();
    const { M } = store.getState().dataset!;
    const w0 = W(store)[1 * M + 2];
    for (let k = 1; k <= 20; k++) store.getState().commit({ type: 'quickEdit', cls: 1, concept: 2, value: w0 + k * 0.1, mergeKey: 'drag1' });
    const s = store.getState();
    expect(s.tree.order).toHaveLength(2);
    const head = s.tree.nodes[s.tree.head!];
    expect(head.action).toBe('quickEdit');
    expect(head.params.from).toBeCloseTo(w0, 6);
    expect(head.params.to).toBeCloseTo(w0 + 2, 6);
    expect(head.snapshot.W[1 * M + 2]).toBeCloseTo(w0 + 2, 6);
    expect(head.metricsAfter).toBe(s.metrics);
    // A new drag (new key) is a new entry.
    store.getState().commit({ type: 'quickEdit', cls: 1, concept: 2, value: 0, mergeKey: 'drag2' });
    expect(store.getState().tree.order).toHaveLength(3);
  });

  it('live logits equal a full recompute after many quick edits', () => {
    const store = loaded();
    const { M, C, N, ahat } = store.getState().dataset!;
    for (let k = 0; k < 30; k++) store.getState().commit({ type: 'quickEdit', cls: k % C, concept: (k * 7) % M, value: Math.sin(k), mergeKey: `k${k}` });
    const { live } = store.getState();
    for (let i = 0; i < N; i += 37) {
      let best = 0;
      let bv = -Infinity;
      for (let c = 0; c < C; c++) {
        let z = live!.b[c];
        for (let j = 0; j < M; j++) z += live!.W[c * M + j] * ahat[i * M + j];
        expect(live!.z[i * C + c]).toBeCloseTo(z, 3);
        if (z > bv) { bv = z; best = c; }
      }
      expect(live!.pred[i]).toBe(best);
    }
  });

  it('undo and redo move the head and restore weights; redo follows the branch', () => {
    const store = loaded();
    const { M } = store.getState().dataset!;
    const w0 = W(store)[0 * M + 1];
    store.getState().commit({ type: 'quickEdit', cls: 0, concept: 1, value: 3, mergeKey: 'a' });
    store.getState().commit({ type: 'quickEdit', cls: 0, concept: 1, value: -3, mergeKey: 'b' });
    store.getState().commit({ type: 'undo' });
    expect(W(store)[1]).toBeCloseTo(3, 6);
    store.getState().commit({ type: 'undo' });
    expect(W(store)[1]).toBeCloseTo(w0, 6);
    store.getState().commit({ type: 'undo' }); // at the root: nothing happens
    expect(W(store)[1]).toBeCloseTo(w0, 6);
    store.getState().commit({ type: 'redo' });
    store.getState().commit({ type: 'redo' });
    expect(W(store)[1]).toBeCloseTo(-3, 6);
    // Branch: undo once, make a different edit; the old branch stays in the tree.
    store.getState().commit({ type: 'undo' });
    store.getState().commit({ type: 'quickEdit', cls: 0, concept: 1, value: 1, mergeKey: 'c' });
    const s = store.getState();
    expect(s.tree.order).toHaveLength(4);
    expect(Object.values(s.tree.nodes).filter((n) => n.parentId === s.tree.nodes[s.tree.head!].parentId)).toHaveLength(2);
  });

  it('restore is a new node with the old weights; nothing is lost', () => {
    const store = loaded();
    const root = store.getState().tree.head!;
    const rootW = new Float32Array(W(store));
    store.getState().commit({ type: 'quickEdit', cls: 2, concept: 0, value: 5, mergeKey: 'x' });
    store.getState().commit({ type: 'restore', nodeId: root });
    const s = store.getState();
    expect(s.tree.order).toHaveLength(3);
    const head = s.tree.nodes[s.tree.head!];
    expect(head.action).toBe('restore');
    expect(Array.from(W(store))).toEqual(Array.from(rootW));
    expect(pathTo(s.tree, head.id)).toHaveLength(3);
    expect(head.flipped.length).toBe(s.tree.nodes[head.parentId!].flipped.length);
  });

  it('UI-only actions do not record and do not clear redo', () => {
    const store = loaded();
    store.getState().commit({ type: 'quickEdit', cls: 0, concept: 0, value: 2, mergeKey: 'a' });
    store.getState().commit({ type: 'undo' });
    const before = store.getState().tree;
    store.getState().setUi({ cls: 3, image: 5, filter: { kind: 'misaligned' } });
    expect(store.getState().tree).toBe(before);
    store.getState().commit({ type: 'redo' });
    expect(W(store)[0]).toBeCloseTo(2, 6);
  });

  it('tune refits with the weight in its box and records one node', async () => {
    const store = loaded(300);
    const { M } = store.getState().dataset!;
    await store.getState().tune('ban', 2, 1);
    const s = store.getState();
    expect(s.tree.order).toHaveLength(2);
    expect(s.live!.W[2 * M + 1]).toBe(0);
    expect(s.tree.nodes[s.tree.head!].action).toBe('ban');
    expect(s.jobs).toHaveLength(0);
  });
});
