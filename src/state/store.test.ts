import { describe, expect, it } from 'vitest';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { createStudioStore, type StudioStore } from './store.ts';
import { nodesInOrder } from './project.ts';
import { computeMetrics } from '../core/metrics/index.ts';
import { predictAll } from '../core/pipeline/distill.ts';
import { pathFromRoot } from '../core/history/query.ts';
import { parseStudentExport, decodeStudentExport } from '../core/schema/index.ts';
import { exportStudentJson, importStudentJson } from './exportStudent.ts';
import { fromSaved, SAVE_VERSION, toSaved } from './persistence.ts';

function loaded(N = 400): StudioStore {
  const store = createStudioStore();
  const { dataset, ensemble } = makeSyntheticProject({ seed: 3, N });
  store.getState().commit({ type: 'load', dataset, ensemble, label: 'Load synthetic' });
  return store;
}

const W = (store: StudioStore) => store.getState().session!.state.ensemble!.served.W;
const nodes = (store: StudioStore) => Object.keys(store.getState().session!.history.nodes).length;
const head = (store: StudioStore) => {
  const h = store.getState().session!.history;
  return h.nodes[h.head];
};

/** A slider drag as the view sends it: pointer-down, moves, pointer-up. */
function drag(store: StudioStore, cls: number, concept: number, values: number[]) {
  store.getState().commit({ type: 'beginEdit', cls, concept });
  for (const value of values) store.getState().commit({ type: 'quickEdit', cls, concept, value });
  store.getState().commit({ type: 'endEdit' });
}

describe('studio store on the core session', () => {
  it('load makes a one-node session whose metrics are core metrics of the core predictions', () => {
    const store = loaded();
    const s = store.getState();
    expect(nodes(store)).toBe(1);
    expect(head(store).parentId).toBeNull();
    const ds = s.dataset!;
    const pred = predictAll({ rows: ds.N, cols: ds.M, data: ds.ahat }, s.ensemble!);
    expect(Array.from(s.live!.pred)).toEqual(Array.from(pred));
    const m = computeMetrics(pred, ds.teacherPred, ds.C, ds.labels, ds.split.heldOut);
    expect(s.metrics!.fidelity).toBe(m.fidelity);
    expect(s.metrics!.accuracy).toBe(m.accuracy);
    expect(s.metrics!.n).toBe(ds.split.heldOut.length);
  });

  it('a drag is ONE history node (core beginDrag/endDrag), labelled with the value before the drag', () => {
    const store = loaded();
    const { M } = store.getState().dataset!;
    const w0 = W(store)[1 * M + 2];
    drag(store, 1, 2, Array.from({ length: 20 }, (_, k) => w0 + (k + 1) * 0.1));
    expect(nodes(store)).toBe(2);
    const n = head(store);
    expect(n.action).toBe('quickEdit');
    expect(n.label).toBe(`Set 'flaking surface' for 'scratched' to ${Number((w0 + 2).toFixed(3))} (was ${Number(w0.toFixed(3))})`);
    expect((n.params as { from: number }).from).toBeCloseTo(w0, 6);
    expect(W(store)[1 * M + 2]).toBeCloseTo(w0 + 2, 5);
    expect(n.metricsAfter!.fidelity).toBe(store.getState().metrics!.fidelity);
    expect(store.getState().session!.history.group).toBeNull();
    // Flips recorded on the node are exactly the held-out images whose prediction changed.
    const ds = store.getState().dataset!;
    store.getState().commit({ type: 'undo' });
    const before = store.getState().live!.pred.slice();
    store.getState().commit({ type: 'redo' });
    const after = store.getState().live!.pred;
    const expected = Array.from(ds.split.heldOut).filter((i) => before[i] !== after[i]);
    expect((n.flipped ?? []).map((f) => f.image)).toEqual(expected);
    // A second drag is a second node; key presses without a gesture are one node each.
    drag(store, 1, 2, [0]);
    expect(nodes(store)).toBe(3);
  });

  it('live logits (core LiveLogits) equal a full recompute after many edits', () => {
    const store = loaded();
    const { M, C, N, ahat } = store.getState().dataset!;
    for (let k = 0; k < 30; k++) drag(store, k % C, (k * 7) % M, [Math.sin(k), Math.cos(k)]);
    const { live } = store.getState();
    const w = W(store);
    const b = store.getState().ensemble!.served.b;
    for (let i = 0; i < N; i += 37) {
      for (let c = 0; c < C; c++) {
        let z = b[c];
        for (let j = 0; j < M; j++) z += w[c * M + j] * ahat[i * M + j];
        expect(live!.logit(i, c)).toBeCloseTo(z, 4);
      }
    }
  });

  it('undo and redo move the head through core history; a new edit after undo keeps the old branch', () => {
    const store = loaded();
    const { M } = store.getState().dataset!;
    const w0 = W(store)[1];
    drag(store, 0, 1, [3]);
    drag(store, 0, 1, [-3]);
    store.getState().commit({ type: 'undo' });
    expect(W(store)[1]).toBeCloseTo(3, 6);
    store.getState().commit({ type: 'undo' });
    expect(W(store)[1]).toBeCloseTo(w0, 6);
    store.getState().commit({ type: 'undo' });
    expect(W(store)[1]).toBeCloseTo(w0, 6);
    store.getState().commit({ type: 'redo' });
    store.getState().commit({ type: 'redo' });
    expect(W(store)[1]).toBeCloseTo(-3, 6);
    expect(store.getState().live!.logit(0, 0)).toBeCloseTo(store.getState().ensemble!.served.b[0] + Array.from({ length: M }, (_, j) => W(store)[j] * store.getState().dataset!.ahat[j]).reduce((a, b) => a + b, 0), 4);
    store.getState().commit({ type: 'undo' });
    drag(store, 0, 1, [1]);
    const s = store.getState().session!;
    expect(nodes(store)).toBe(4);
    expect(Object.values(s.history.nodes).filter((n) => n.parentId === head(store).parentId)).toHaveLength(2);
  });

  it('restore is a new node with the old weights; nothing is lost', () => {
    const store = loaded();
    const root = store.getState().session!.history.head;
    const rootW = new Float32Array(W(store));
    drag(store, 2, 0, [5]);
    store.getState().commit({ type: 'restore', nodeId: root });
    const s = store.getState().session!;
    expect(nodes(store)).toBe(3);
    expect(head(store).action).toBe('restore');
    expect(Array.from(W(store))).toEqual(Array.from(rootW));
    expect(pathFromRoot(s.history, s.history.head)).toHaveLength(3);
  });

  it('UI-only actions and relabels: UI never records or clears redo; a rename is a recorded step', () => {
    const store = loaded();
    drag(store, 0, 0, [2]);
    store.getState().commit({ type: 'undo' });
    const before = store.getState().session;
    store.getState().setUi({ cls: 3, image: 5, filter: { kind: 'misaligned' } });
    expect(store.getState().session).toBe(before);
    store.getState().commit({ type: 'redo' });
    expect(W(store)[0]).toBeCloseTo(2, 6);
    store.getState().commit({ type: 'relabel', concept: 0, name: 'orange patches' });
    expect(store.getState().dataset!.concepts[0]).toBe('orange patches');
    expect(head(store).label).toBe("Renamed concept 'orange-brown patches' to 'orange patches'");
    store.getState().commit({ type: 'undo' });
    expect(store.getState().dataset!.concepts[0]).toBe('orange-brown patches');
  });

  it('tune refits through the core pipeline inside the box and records one node with the engine metrics', async () => {
    const store = loaded(300);
    const { M } = store.getState().dataset!;
    await store.getState().tune('ban', 2, 1);
    const s = store.getState();
    expect(nodes(store)).toBe(2);
    expect(W(store)[2 * M + 1]).toBe(0);
    expect(head(store).action).toBe('tune');
    expect(head(store).label).toBe("Banned 'rust' for 'rusty'");
    // The studio shows exactly what the engine measured.
    expect(s.metrics!.fidelity).toBe(head(store).metricsAfter!.fidelity);
    expect(s.metrics!.accuracy).toBe(head(store).metricsAfter!.accuracy);
    expect(s.jobs).toHaveLength(0);
  });

  it('a ban keeps the weight at 0 across a later uptune (the accumulated box), and undo frees it again', async () => {
    const store = loaded(300);
    const { M, C } = store.getState().dataset!;
    const j = 1;
    await store.getState().tune('banAll', 0, j);
    for (let c = 0; c < C; c++) expect(W(store)[c * M + j]).toBe(0);
    // Uptune another concept: the refit must not let the banned one come back.
    await store.getState().tune('uptune', 2, 4, 2);
    expect(nodes(store)).toBe(3);
    for (let c = 0; c < C; c++) expect(W(store)[c * M + j]).toBe(0);
    const s = store.getState();
    const box = s.boxes[s.session!.history.head];
    expect(box.lo[2 * M + j]).toBe(0);
    expect(box.hi[2 * M + j]).toBe(0);
    expect(Number.isFinite(box.hi[2 * M + 4])).toBe(true);
    // Undo both: at the root no bound is in force, so a refit may move the weight again.
    store.getState().commit({ type: 'undo' });
    store.getState().commit({ type: 'undo' });
    await store.getState().tune('uptune', 3, 5, 2);
    const s2 = store.getState();
    expect(s2.boxes[s2.session!.history.head].hi[2 * M + j]).toBe(Infinity);
  });

  it('export round-trips through parseStudentExport, with the box, training and a check block', async () => {
    const store = loaded(300);
    await store.getState().tune('ban', 1, 3);
    drag(store, 0, 0, [0.5]);
    const text = exportStudentJson(store.getState());
    const parsed = parseStudentExport(text);
    if (!parsed.ok) throw new Error(parsed.error);
    const doc = parsed.value;
    const d = decodeStudentExport(doc);
    const s = store.getState();
    expect(Array.from(d.ensemble.served.W)).toEqual(Array.from(W(store)));
    expect(doc.provenance.nodes).toHaveLength(nodes(store));
    expect(doc.provenance.head).toBe(s.session!.history.head);
    expect(doc.training).toEqual({ ...s.training, members: s.ensemble!.members.length });
    expect(doc.tuning!.bounds).toEqual([{ class: 1, concept: 3, lo: 0, hi: 0 }]);
    expect(doc.check.images.length).toBeGreaterThan(0);
    expect(doc.metrics.splits).toEqual({ distill: s.dataset!.split.train.length, heldOut: s.dataset!.split.heldOut.length });
    expect(doc.concepts.map((c) => c.name)).toEqual(s.dataset!.concepts);
  });

  it('import of a bad student JSON returns its specific message and changes nothing; a good one is one step', () => {
    const store = loaded(300);
    drag(store, 0, 0, [0.7]);
    const good = exportStudentJson(store.getState());
    const before = store.getState().session;
    const beforeW = new Float32Array(W(store));
    const bad = importStudentJson(store.getState(), good.slice(0, good.length / 2), 'cut.json');
    expect(bad).toEqual({ ok: false, error: expect.stringContaining('cut.json: the file is truncated') });
    const doc = JSON.parse(good);
    doc.student.b[0] = 'x';
    const wrong = importStudentJson(store.getState(), JSON.stringify(doc), 'bad.json');
    expect(wrong).toEqual({ ok: false, error: 'bad.json: student.b[0]: expected a finite number, got "x"' });
    const other = JSON.parse(good);
    other.classes[0].name = 'fine';
    expect(importStudentJson(store.getState(), JSON.stringify(other), 'other.json')).toMatchObject({ ok: false, error: expect.stringContaining('are not this project') });
    expect(store.getState().session).toBe(before);
    expect(Array.from(W(store))).toEqual(Array.from(beforeW));
    // Undo the edit, then import the exported student: one recorded step with the file's weights.
    store.getState().commit({ type: 'undo' });
    const ok = importStudentJson(store.getState(), good, 'student.json');
    expect(ok.ok).toBe(true);
    expect(head(store).label).toBe("Imported the student file 'student.json'");
    expect(Array.from(W(store))).toEqual(Array.from(beforeW));
  });

  it('the autosave payload restores session, tree, head and boxes (structured clone, as IndexedDB stores it)', async () => {
    const store = loaded(300);
    await store.getState().tune('ban', 1, 3);
    drag(store, 0, 0, [0.25]);
    store.getState().commit({ type: 'undo' });
    const saved = structuredClone(toSaved(store.getState()));
    const r = fromSaved(SAVE_VERSION, saved);
    if ('error' in r) throw new Error(r.error);
    const fresh = createStudioStore();
    fresh.getState().commit({ type: 'hydrate', ...r });
    const a = store.getState();
    const b = fresh.getState();
    expect(b.session!.history.head).toBe(a.session!.history.head);
    expect(nodesInOrder(b.session!).map((n) => n.label)).toEqual(nodesInOrder(a.session!).map((n) => n.label));
    expect(Array.from(b.ensemble!.served.W)).toEqual(Array.from(a.ensemble!.served.W));
    expect(b.metrics!.fidelity).toBe(a.metrics!.fidelity);
    expect(b.boxes[b.session!.history.head].hi[1 * b.dataset!.M + 3]).toBe(0);
    // Redo still works after the reload: the branch came back with the tree.
    fresh.getState().commit({ type: 'redo' });
    expect(W(fresh)[0]).toBeCloseTo(0.25, 6);
    expect(fromSaved(1, saved)).toEqual({ error: 'saved project has version 1; this studio reads 2' });
  });
});
