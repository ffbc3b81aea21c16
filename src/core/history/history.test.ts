/**
 * Property tests of diffs and the provenance tree (fast-check). Generators first: recipes are
 * random op descriptions that `realise` turns into diffs valid for a given state.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Ensemble, LinearModel } from '../types.ts';
import { ensembleRef } from './hash.ts';
import { snapshotChange, applyDiff, composeDiffs, normalizeDiff, reverseDiff, DiffError, type SnapshotResolver } from './diff.ts';
import { beginGroup, commit, createHistory, endGroup, redo, restore, undo, checkout } from './tree.ts';
import { checkTree, compareNodes, stateAt, transitionDiff } from './query.ts';
import type { EntryDraft, HistoryTree } from './types.ts';
import type { Diff, DiffOp, SparseChange } from './diff.ts';

interface ToyState {
  ensemble: Ensemble | null;
  note: string;
  level: number;
}

const C = 2;
const M = 3;

const f32 = fc.float({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }).map(Math.fround);

function lm(values: number[]): LinearModel {
  return { W: new Float32Array(values.slice(0, C * M)), b: new Float32Array(values.slice(C * M, C * M + C)), C, M };
}

/** A random ensemble of 2 members plus its served mean-ish model (values need not be consistent). */
const ensembleArb: fc.Arbitrary<Ensemble> = fc
  .array(f32, { minLength: 5 * (C * M + C), maxLength: 5 * (C * M + C) })
  .map((v) => {
    const k = C * M + C;
    return {
      served: lm(v.slice(0, k)),
      members: [lm(v.slice(k, 2 * k)), lm(v.slice(2 * k, 3 * k))],
      lo: new Float32Array(v.slice(3 * k, 3 * k + C * M)),
      hi: new Float32Array(v.slice(4 * k, 4 * k + C * M)),
    };
  });

/** A recipe for a diff, turned into a valid diff against a given state by `realise`. */
type OpRecipe =
  | { kind: 'weights'; W: [number, number][]; b: [number, number][] }
  | { kind: 'snapshot'; ensemble: Ensemble | null }
  | { kind: 'set'; key: 'note' | 'level'; value: string | number };

const recipeArb: fc.Arbitrary<OpRecipe> = fc.oneof(
  fc.record({
    kind: fc.constant('weights' as const),
    W: fc.array(fc.tuple(fc.nat(C * M - 1), f32), { maxLength: 4 }),
    b: fc.array(fc.tuple(fc.nat(C - 1), f32), { maxLength: 2 }),
  }),
  fc.record({ kind: fc.constant('snapshot' as const), ensemble: fc.option(ensembleArb, { nil: null }) }),
  fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key: fc.constant('note' as const), value: fc.string({ maxLength: 3 }) }),
    fc.record({ kind: fc.constant('set' as const), key: fc.constant('level' as const), value: fc.integer() }),
  ),
);

/**
 * Build a diff valid for `state` from recipes, returning it with the snapshots it refers to.
 * Weight recipes on a state without a student become snapshot recipes, so every diff applies.
 */
function realise(state: ToyState, recipes: OpRecipe[], fallback: Ensemble): { diff: Diff; snapshots: Record<string, Ensemble> } {
  const snapshots: Record<string, Ensemble> = {};
  const ops: DiffOp[] = [];
  let ens = state.ensemble;
  const fields: Record<string, unknown> = { note: state.note, level: state.level };
  for (const r of recipes) {
    if (r.kind === 'set') {
      ops.push({ op: 'set', key: r.key, from: fields[r.key], to: r.value });
      fields[r.key] = r.value;
    } else if (r.kind === 'snapshot' || !ens) {
      const next = r.kind === 'snapshot' ? r.ensemble : fallback;
      const ch = snapshotChange(ens, next);
      Object.assign(snapshots, ch.snapshots);
      ops.push(ch.op);
      ens = next;
    } else {
      const W = ens.served.W.slice();
      const b = ens.served.b.slice();
      const dW: SparseChange[] = [];
      const db: SparseChange[] = [];
      for (const [i, v] of r.W) {
        if (dW.some((c) => c.index === i)) continue;
        dW.push({ index: i, from: W[i], to: v });
        W[i] = v;
      }
      for (const [i, v] of r.b) {
        if (db.some((c) => c.index === i)) continue;
        db.push({ index: i, from: b[i], to: v });
        b[i] = v;
      }
      ops.push({ op: 'weights', W: dW, b: db });
      ens = { ...ens, served: { ...ens.served, W, b } };
    }
  }
  return { diff: ops, snapshots };
}

const fallbackEnsemble: Ensemble = {
  served: lm([0.5, -0.25, 0, 1, 2, -3, 0.125, -1]),
  members: [lm([0, 0, 0, 0, 0, 0, 0, 0])],
  lo: new Float32Array(C * M),
  hi: new Float32Array(C * M),
};

const stateArb: fc.Arbitrary<ToyState> = fc.record({
  ensemble: fc.option(ensembleArb, { nil: null }),
  note: fc.string({ maxLength: 3 }),
  level: fc.integer(),
});

/** Resolver over the snapshots of several diffs plus the state's own ensemble. */
function storeOf(...maps: Record<string, Ensemble>[]): SnapshotResolver {
  const all: Record<string, Ensemble> = Object.assign({}, ...maps);
  return (ref) => all[ref];
}

function storeFor(s: ToyState, ...maps: Record<string, Ensemble>[]): SnapshotResolver {
  return storeOf(s.ensemble ? { [ensembleRef(s.ensemble)]: s.ensemble } : {}, ...maps);
}

describe('diff algebra (properties)', () => {
  const caseArb = fc.tuple(stateArb, fc.array(recipeArb, { maxLength: 6 }), fc.array(recipeArb, { maxLength: 6 }));

  it('apply then reverse is the identity', () => {
    fc.assert(
      fc.property(caseArb, ([s, r1]) => {
        const { diff, snapshots } = realise(s, r1, fallbackEnsemble);
        const store = storeFor(s, snapshots);
        const after = applyDiff(s, diff, store);
        expect(applyDiff(after, reverseDiff(diff), store)).toEqual(s);
        // Normalising does not change the effect.
        expect(applyDiff(s, normalizeDiff(diff), store)).toEqual(after);
      }),
    );
  });

  it('reverse of reverse is the same diff', () => {
    fc.assert(
      fc.property(caseArb, ([s, r1]) => {
        const { diff } = realise(s, r1, fallbackEnsemble);
        expect(reverseDiff(reverseDiff(diff))).toEqual(diff);
      }),
    );
  });

  it('compose(a, b) acts like a then b, and reverses like reverse(b) then reverse(a)', () => {
    fc.assert(
      fc.property(caseArb, ([s, r1, r2]) => {
        const a = realise(s, r1, fallbackEnsemble);
        const s1 = applyDiff(s, a.diff, storeFor(s, a.snapshots));
        const b = realise(s1, r2, fallbackEnsemble);
        const store = storeFor(s, a.snapshots, b.snapshots);
        const s2 = applyDiff(s1, b.diff, store);
        const ab = composeDiffs(a.diff, b.diff);
        expect(applyDiff(s, ab, store)).toEqual(s2);
        expect(applyDiff(s2, reverseDiff(ab), store)).toEqual(s);
      }),
    );
  });

  it('refuses a diff recorded against another state', () => {
    const s: ToyState = { ensemble: fallbackEnsemble, note: '', level: 0 };
    const bad = [{ op: 'weights' as const, W: [{ index: 0, from: 7, to: 1 }], b: [] }];
    expect(() => applyDiff(s, bad, storeOf())).toThrow(DiffError);
    expect(() => applyDiff(s, bad, storeOf())).toThrow('W[0] is 0.5, expected 7');
    expect(() => applyDiff(s, [{ op: 'snapshot', from: null, to: 'fnv1a64:00' }], storeOf())).toThrow('missing');
  });
});

type Cmd =
  | { t: 'commit'; recipes: OpRecipe[]; merged: boolean }
  | { t: 'begin' | 'end' | 'undo' | 'redo' }
  | { t: 'restore' | 'checkout'; pick: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('commit' as const), recipes: fc.array(recipeArb, { maxLength: 3 }), merged: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constantFrom({ t: 'begin' as const }, { t: 'end' as const }, { t: 'undo' as const }, { t: 'redo' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('restore' as const, 'checkout' as const), pick: fc.nat() }) },
);

function draftOf(s: ToyState, recipes: OpRecipe[], merged: boolean): EntryDraft {
  const { diff, snapshots } = realise(s, recipes, fallbackEnsemble);
  return { action: merged ? 'quickEdit' : 'tune', params: null, label: 'x', diff, capture: merged ? 'merged' : 'recorded', snapshots };
}

describe('provenance tree (properties)', () => {
  it('random undo/redo/restore/checkout/drag sequences never lose a node and keep states consistent', () => {
    fc.assert(
      fc.property(stateArb, fc.array(cmdArb, { maxLength: 40 }), (s0, cmds) => {
        const initial = { ...s0, ensemble: null };
        let tree: HistoryTree<ToyState> = createHistory<ToyState>(initial, 0);
        let cur: ToyState = initial;
        const seen = new Set<string>([tree.rootId]);
        let time = 1;
        for (const cmd of cmds) {
          const store = (ref: string) => tree.snapshots[ref];
          if (cmd.t === 'commit') {
            const d = draftOf(cur, cmd.recipes, cmd.merged);
            tree = commit(tree, d, time++);
            cur = applyDiff(cur, d.diff, (ref) => tree.snapshots[ref]);
          } else if (cmd.t === 'begin') tree = beginGroup(tree);
          else if (cmd.t === 'end') tree = endGroup(tree);
          else {
            const ids = Object.keys(tree.nodes);
            const target = cmd.t === 'restore' || cmd.t === 'checkout' ? ids[cmd.pick % ids.length] : '';
            const expected = target ? stateAt(tree, target) : null;
            const mv =
              cmd.t === 'undo' ? undo(tree) : cmd.t === 'redo' ? redo(tree) : cmd.t === 'restore' ? restore(tree, target, time++) : checkout(tree, target);
            cur = applyDiff(cur, mv.diff, store);
            tree = mv.tree;
            if (expected) expect(cur).toEqual(expected);
          }
          expect(checkTree(tree)).toEqual([]);
          expect(stateAt(tree, tree.head)).toEqual(cur);
          for (const id of seen) expect(tree.nodes[id]).toBeDefined();
          if (!tree.group) for (const id of Object.keys(tree.nodes)) seen.add(id);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('composing the diffs along the path to a node gives the state recorded there', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(recipeArb, { maxLength: 3 }), fc.boolean()), { maxLength: 12 }), (steps) => {
        let tree = createHistory<ToyState>({ ensemble: null, note: '', level: 0 }, 0);
        const states: Record<string, ToyState> = { [tree.rootId]: tree.root };
        for (const [recipes, goBack] of steps) {
          if (goBack) tree = undo(tree).tree; // branch from the parent sometimes
          const cur = states[tree.head];
          const d = draftOf(cur, recipes, false);
          tree = commit(tree, d, 1);
          states[tree.head] = applyDiff(cur, d.diff, (r) => tree.snapshots[r]);
        }
        for (const id of Object.keys(tree.nodes)) {
          expect(applyDiff(tree.root, transitionDiff(tree, tree.rootId, id), (r) => tree.snapshots[r])).toEqual(states[id]);
          expect(stateAt(tree, id)).toEqual(states[id]);
        }
      }),
    );
  });
});

describe('provenance tree (examples)', () => {
  const s0: ToyState = { ensemble: null, note: '', level: 0 };
  const set = (key: 'note' | 'level', from: unknown, to: unknown, capture: EntryDraft['capture'] = 'recorded'): EntryDraft => ({
    action: 'set',
    params: { key },
    label: `${key}=${String(to)}`,
    diff: [{ op: 'set', key, from, to }],
    capture,
  });

  it('undo keeps the branch, a new edit branches, redo follows the last-visited child', () => {
    let t = createHistory(s0, 0);
    t = commit(t, set('level', 0, 1), 1);
    const a = t.head;
    t = commit(t, set('level', 1, 2), 2);
    const b = t.head;
    t = undo(t).tree;
    t = commit(t, set('level', 1, 3), 3); // new branch beside b
    const c = t.head;
    expect(t.nodes[b]).toBeDefined();
    expect(t.nodes[c].parentId).toBe(a);
    t = undo(t).tree;
    expect(redo(t).tree.head).toBe(c);
    t = checkout(t, b).tree;
    t = undo(t).tree;
    const r = redo(t);
    expect(r.tree.head).toBe(b);
    expect(r.diff).toEqual(t.nodes[b].diff);
    expect(undo(createHistory(s0, 0)).diff).toEqual([]);
  });

  it('a drag is one node; a drag that ends where it began leaves none', () => {
    let t = beginGroup(createHistory(s0, 0));
    t = commit(t, set('level', 0, 1, 'merged'), 1);
    t = commit(t, set('level', 1, 2, 'merged'), 2);
    t = commit(t, set('level', 2, 5, 'merged'), 3, (node, next) => ({ label: `${node.label}→${next.label}`, params: next.params }));
    t = endGroup(t);
    expect(Object.keys(t.nodes)).toHaveLength(2);
    expect(t.nodes[t.head].diff).toEqual([{ op: 'set', key: 'level', from: 0, to: 5 }]);
    expect(t.nodes[t.head].label).toBe('level=2→level=5');
    t = beginGroup(t);
    t = commit(t, set('level', 5, 6, 'merged'), 4);
    t = commit(t, set('level', 6, 5, 'merged'), 5);
    const before = t.nodes;
    t = endGroup(t);
    expect(Object.keys(t.nodes)).toHaveLength(Object.keys(before).length - 1);
    expect(checkTree(t)).toEqual([]);
    // UI-only actions never touch the tree.
    expect(commit(t, { ...set('level', 5, 5), capture: 'none' }, 6)).toBe(t);
  });

  it('restore appends a new node equal in state to the target', () => {
    let t = createHistory(s0, 0);
    t = commit(t, set('note', '', 'a'), 1);
    const a = t.head;
    t = commit(t, set('note', 'a', 'b'), 2);
    const mv = restore(t, a, 3);
    expect(mv.tree.nodes[mv.tree.head].parentId).toBe(t.head);
    expect(stateAt(mv.tree, mv.tree.head)).toEqual(stateAt(t, a));
    expect(mv.tree.nodes[mv.tree.head].label).toBe('Restored "note=a"');
  });

  it('compares weights, metrics and flips between nodes', () => {
    let t = createHistory<ToyState>(s0, 0);
    const ref = ensembleRef(fallbackEnsemble);
    const metrics = (f: number) => ({ fidelity: f, accuracy: null, n: 10, perClass: [] });
    t = commit(t, { action: 'distill', params: null, label: 'd', diff: [{ op: 'snapshot', from: null, to: ref }], capture: 'recorded', snapshots: { [ref]: fallbackEnsemble }, metricsAfter: metrics(0.8) }, 1);
    const a = t.head;
    const edit = { op: 'weights' as const, W: [{ index: 4, from: 2, to: 2.5 }], b: [] };
    t = commit(t, { action: 'quickEdit', params: null, label: 'e', diff: [edit], capture: 'recorded', metricsAfter: metrics(0.9), flipped: [{ image: 3, from: 0, to: 1 }] }, 2);
    const cmp = compareNodes(t, a, t.head);
    expect(cmp.weights?.W).toEqual([{ index: 4, class: 1, concept: 1, from: 2, to: 2.5 }]);
    expect(cmp.metricDelta.fidelity).toBeCloseTo(0.1);
    expect(cmp.flipped).toEqual([{ image: 3, from: 0, to: 1 }]);
    expect(compareNodes(t, t.head, a).flipped).toEqual([{ image: 3, from: 1, to: 0 }]);
    const predict = (s: ToyState) => new Int32Array([s.ensemble!.served.W[4] > 2.2 ? 1 : 0, 0]);
    expect(compareNodes(t, a, t.head, predict).flipped).toEqual([{ image: 0, from: 0, to: 1 }]);
  });
});

describe('regressions', () => {
  it('restoring the empty node of a gesture that is being closed restores its parent', () => {
    let t = createHistory<ToyState>({ ensemble: null, note: '', level: 0 }, 0);
    t = beginGroup(t);
    t = commit(t, { action: 'quickEdit', params: null, label: 'noop', diff: [], capture: 'merged' }, 1);
    const ghost = t.head;
    const mv = restore(t, ghost, 2);
    expect(mv.tree.nodes[ghost]).toBeUndefined();
    expect(checkTree(mv.tree)).toEqual([]);
    expect(stateAt(mv.tree, mv.tree.head)).toEqual(mv.tree.root);
    expect(checkout(t, ghost).tree.head).toBe(t.rootId);
  });
});
