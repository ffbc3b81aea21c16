/**
 * METHODS §7: every step is recorded and reversible. For every kind of step the studio records
 * (ban, quick edit, rename, teacher change, domain calibration, OOD threshold, distillation on a
 * new split, a second branch), restoring its node, undoing back to it and redoing onto it give
 * exactly the state the studio was in right after the step — the dataset arrays the step changed
 * (teacher probabilities and argmax, split, standardised activations, concept names), the
 * student, its bounds and calibration, the live predictions and the metrics — and so does a
 * save and reload followed by the same moves.
 */
import { describe, expect, it } from 'vitest';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { createStudioStore, type StudioStore } from './store.ts';
import { boxAt, DEFAULT_TRAINING } from './project.ts';
import { argmaxRows } from '../core/math/linalg.ts';
import { mulberry32 } from '../core/math/rng.ts';
import type { DomainSettings } from '../core/project/index.ts';
import type { Dataset } from './types.ts';
import { fromSaved, SAVE_VERSION, toSaved } from './persistence.ts';

const D = 8;

/** A synthetic project with image embeddings (so domain calibration applies), stored like an imported one. */
function project(): Dataset {
  const { dataset } = makeSyntheticProject({ seed: 5, N: 240, M: 12 });
  const r = mulberry32(11);
  const emb = Float32Array.from({ length: dataset.N * D }, () => r() - 0.5);
  return {
    ...dataset,
    source: { kind: 'imported', name: 'history test' },
    imageModel: { id: 'test-model', embeddingDim: D, preprocessing: { size: 224, crop: 'center', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: 'bicubic', padToSquare: false } },
    imageEmbeddings: { R: 1, D, data: emb },
  };
}

function store0(ds: Dataset): StudioStore {
  const store = createStudioStore();
  store.setState({ training: { ...DEFAULT_TRAINING, members: 3 } });
  const { ensemble } = makeSyntheticProject({ seed: 5, N: 240, M: 12 });
  store.getState().commit({ type: 'load', dataset: ds, ensemble, label: 'Load' });
  return store;
}

/** Everything a step may change, as plain values (copies: live arrays change in place). */
function fingerprint(store: StudioStore) {
  const s = store.getState();
  const ds = s.dataset!;
  const st = s.session!.state;
  const box = boxAt(s.session!, s.boxes, s.session!.history.head, ds.C, ds.M);
  const dom = st.calibration.domain;
  return {
    teacher: Array.from(ds.teacher.data), teacherPred: Array.from(ds.teacherPred), teacherDescription: ds.teacherDescription,
    train: Array.from(ds.split.train), heldOut: Array.from(ds.split.heldOut), isTest: Array.from(ds.isTest),
    concepts: [...ds.concepts], ahat: Array.from(ds.ahat), mu: Array.from(ds.stats.mu), sigma: Array.from(ds.stats.sigma),
    sessionConcepts: st.concepts.map((c) => c.name), teacherInfo: st.teacher, constraints: st.constraints,
    W: Array.from(st.ensemble!.served.W), b: Array.from(st.ensemble!.served.b),
    ood: st.calibration.ood, domain: dom ? { mode: dom.mode, prompts: dom.domains.map((d) => d.prompt) } : null,
    lo: Array.from(box.lo), hi: Array.from(box.hi),
    pred: Array.from(s.live!.pred), headPred: Array.from(s.headPred!),
    metrics: { fidelity: s.metrics!.fidelity, accuracy: s.metrics!.accuracy, n: s.metrics!.n, misaligned: s.metrics!.misaligned },
  };
}

const head = (store: StudioStore) => store.getState().session!.history.head;

/** A teacher change as the HTTP teacher makes it: new probabilities, their argmax, and a split of the answered images. */
function teacherChange(store: StudioStore): void {
  const s = store.getState();
  const ds = s.dataset!;
  const probs = new Float32Array(ds.N * ds.C);
  for (let i = 0; i < ds.N; i++) {
    const c = (ds.labels![i] + (i % 7 === 0 ? 1 : 0)) % ds.C;
    for (let k = 0; k < ds.C; k++) probs[i * ds.C + k] = k === c ? 0.8 : 0.2 / (ds.C - 1);
  }
  const teacher = { rows: ds.N, cols: ds.C, data: probs };
  const train = Int32Array.from(ds.split.train.filter((i) => i % 3 !== 0));
  const heldOut = Int32Array.from(ds.split.heldOut.filter((i) => i % 2 === 0));
  const isTest = new Uint8Array(ds.N);
  for (const i of heldOut) isTest[i] = 1;
  const dataset: Dataset = { ...ds, teacher, teacherPred: argmaxRows(teacher), split: { train, heldOut }, isTest, teacherDescription: 'Web service teacher (test)' };
  s.commit({
    type: 'refit', dataset, box: boxAt(s.session!, s.boxes, head(store), ds.C, ds.M),
    actions: [{ type: 'teacherChange', teacher: { kind: 'http', name: 'Web service teacher (test)' } }],
  });
}

/** Two made-up conditions with their own concept statistics (what Performance › Conditions computes). */
function domainSettings(ds: Dataset): DomainSettings {
  const r = mulberry32(3);
  return {
    mode: 'source', temperature: 0.01,
    domains: [0, 1].map((d) => ({
      prompt: `condition ${d}`,
      textEmbedding: Float32Array.from({ length: D }, () => r() - 0.5),
      mu: Float32Array.from(ds.stats.mu, (m) => m + 0.03 * d),
      sigma: Float32Array.from(ds.stats.sigma, (x) => x * (1 + 0.4 * d)),
    })),
  };
}

/** Build a history with every kind of step; returns the fingerprint taken right after each node was made. */
async function history(store: StudioStore): Promise<Map<string, ReturnType<typeof fingerprint>>> {
  const snaps = new Map<string, ReturnType<typeof fingerprint>>();
  const snap = () => snaps.set(head(store), fingerprint(store));
  snap();
  await store.getState().tune('banAll', 0, 4);
  snap();
  const w = store.getState().ensemble!.served.W[1 * store.getState().dataset!.M + 2];
  store.getState().commit({ type: 'beginEdit', cls: 1, concept: 2 });
  for (const v of [w + 0.5, w + 1.5, w + 3]) store.getState().commit({ type: 'quickEdit', cls: 1, concept: 2, value: v });
  store.getState().commit({ type: 'endEdit' });
  snap();
  store.getState().commit({ type: 'relabel', concept: 3, name: 'renamed concept' });
  snap();
  teacherChange(store);
  snap();
  store.getState().commit({ type: 'domainSettings', domain: domainSettings(store.getState().dataset!) });
  snap();
  store.getState().commit({ type: 'oodSettings', ood: { score: 'mcm', tau: 1, threshold: 0.4, calibrationN: 50 } });
  snap();
  await store.getState().distill();
  snap();
  // A second branch from the rename: undo four steps (distil, OOD, calibration, teacher), then ban another concept.
  for (let k = 0; k < 4; k++) store.getState().commit({ type: 'undo' });
  await store.getState().tune('ban', 2, 6);
  snap();
  return snaps;
}

describe('every history step is reversible (METHODS §7)', () => {
  it('restore, undo and redo give back the state each node was made in, teacher arrays and split included', async () => {
    const store = store0(project());
    const snaps = await history(store);
    const nodes = store.getState().session!.history.nodes;
    expect(snaps.size).toBe(9);
    expect(new Set([...snaps.keys()].map((id) => nodes[id].action))).toEqual(new Set(['init', 'tune', 'quickEdit', 'corpusChange', 'teacherChange', 'calibrationChange', 'distill']));
    // The steps really changed what they should (else the comparisons below prove nothing).
    const [s0, , , , sTeacher, sDomain, , sDistill] = [...snaps.values()];
    expect(sTeacher.teacher).not.toEqual(s0.teacher);
    expect(sTeacher.heldOut).not.toEqual(s0.heldOut);
    expect(sDomain.ahat).not.toEqual(sTeacher.ahat);
    expect(sDistill.mu).not.toEqual(sDomain.mu);

    // Restore each node (a new node each time): the state is the node's.
    for (const [id, want] of snaps) {
      store.getState().commit({ type: 'restore', nodeId: id });
      expect(fingerprint(store), `restore of "${nodes[id].label}"`).toEqual(want);
    }
    // Undo down the branch to the root and redo back up: each node's state again.
    const branchHead = [...snaps.keys()].pop()!;
    store.getState().commit({ type: 'restore', nodeId: branchHead });
    // The path runs through the restore node just made; check every recorded node on it.
    for (let k = 0; k < 40 && store.getState().session!.history.nodes[head(store)].parentId; k++) {
      store.getState().commit({ type: 'undo' });
      const want = snaps.get(head(store));
      if (want) expect(fingerprint(store), `undo to "${nodes[head(store)]?.label}"`).toEqual(want);
    }
    expect(snaps.has(head(store))).toBe(true);
  });

  it('the teacher change undone and redone on the main branch: arrays, split and metrics come back', async () => {
    const store = store0(project());
    const before = fingerprint(store);
    teacherChange(store);
    const after = fingerprint(store);
    expect(after.teacherPred).not.toEqual(before.teacherPred);
    store.getState().commit({ type: 'undo' });
    expect(fingerprint(store)).toEqual(before);
    store.getState().commit({ type: 'redo' });
    expect(fingerprint(store)).toEqual(after);
  });

  it('after a save and reload, restoring any node still gives its state', async () => {
    const store = store0(project());
    const snaps = await history(store);
    const saved = structuredClone(toSaved(store.getState()));
    const r = fromSaved(SAVE_VERSION, saved);
    if ('error' in r) throw new Error(r.error);
    const again = createStudioStore();
    again.getState().commit({ type: 'hydrate', ...r });
    for (const [id, want] of snaps) {
      again.getState().commit({ type: 'restore', nodeId: id });
      const got = fingerprint(again);
      for (const k of Object.keys(want) as (keyof typeof want)[]) expect(got[k], `${k} after restoring "${r.session.history.nodes[id].label}" after a reload`).toEqual(want[k]);
      expect(fingerprint(again), `restore of "${r.session.history.nodes[id].label}" after a reload`).toEqual(want);
    }
  });
});
