/**
 * Reversible state diffs for the provenance tree (METHODS.md §7, STYLE.md habit 6).
 *
 * A diff is an ordered list of ops applied left to right to a state that has an `ensemble`
 * field plus any other top-level fields:
 * - `weights`: sparse edits of the served W and b, `{index, from, to}` (quick edits, drags);
 * - `snapshot`: swap the whole ensemble for a content-addressed snapshot (refits: distill, tune,
 *   corpus change), `from`/`to` are refs into a snapshot store, so history never inlines arrays;
 * - `set`: replace one other top-level field (concepts, teacher, calibration, metrics…).
 *
 * Every op carries both sides, so `reverse` needs no state and `reverse(reverse(d)) = d`.
 * Values are never mutated: states are treated as immutable and `apply` copies on write.
 */

import type { Ensemble } from '../types.ts';
import { ensembleRef } from './hash.ts';

/** One changed number of a flat Float32Array: value `from` became `to` at `index`. */
export interface SparseChange {
  index: number;
  from: number;
  to: number;
}

/** Sparse change of the served weights (flat row-major C×M index into W, class index into b). */
export interface WeightsOp {
  op: 'weights';
  W: SparseChange[];
  b: SparseChange[];
}

/**
 * Replace the ensemble: `from`/`to` are weights refs (see hash.ts); null means "no student yet".
 * Contract: BOTH sides must be resolvable in the snapshot store, since undo swaps back to
 * `from`; build it with `snapshotChange`, which returns both snapshots to store.
 */
export interface SnapshotOp {
  op: 'snapshot';
  from: string | null;
  to: string | null;
}

/** Replace one top-level field (never `ensemble`: that goes through weights/snapshot ops). */
export interface SetOp {
  op: 'set';
  key: string;
  from: unknown;
  to: unknown;
}

export type DiffOp = WeightsOp | SnapshotOp | SetOp;

/** An ordered list of ops; the empty list is the identity. */
export type Diff = readonly DiffOp[];

/** What a diff can act on: any record holding the student ensemble (or null before distilling). */
export interface Diffable {
  ensemble: Ensemble | null;
}

/** Looks a snapshot up by its ref; throws or returns undefined when missing. */
export type SnapshotResolver = (ref: string) => Ensemble | undefined;

export class DiffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiffError';
  }
}

function reverseChanges(cs: readonly SparseChange[]): SparseChange[] {
  return cs.map((c) => ({ index: c.index, from: c.to, to: c.from }));
}

function reverseOp(op: DiffOp): DiffOp {
  switch (op.op) {
    case 'weights':
      return { op: 'weights', W: reverseChanges(op.W), b: reverseChanges(op.b) };
    case 'snapshot':
      return { op: 'snapshot', from: op.to, to: op.from };
    case 'set':
      return { op: 'set', key: op.key, from: op.to, to: op.from };
  }
}

/** The diff that undoes `d`: reversed order, each op reversed. */
export function reverseDiff(d: Diff): Diff {
  const out: DiffOp[] = [];
  for (let i = d.length - 1; i >= 0; i--) out.push(reverseOp(d[i]));
  return out;
}

function applyChanges(target: Float32Array, cs: readonly SparseChange[], name: string): void {
  for (const c of cs) {
    if (!(c.index >= 0 && c.index < target.length)) {
      throw new DiffError(`diff does not apply: ${name}[${c.index}] is out of range (length ${target.length})`);
    }
    // Checking `from` catches a diff applied to the wrong state, which would otherwise
    // silently corrupt every state reconstructed after it.
    if (!Object.is(target[c.index], c.from)) {
      throw new DiffError(`diff does not apply: ${name}[${c.index}] is ${target[c.index]}, expected ${c.from}`);
    }
    target[c.index] = c.to;
  }
}

/** Apply one diff to a state, returning a new state (the input is not modified). */
export function applyDiff<S extends Diffable>(state: S, d: Diff, resolve: SnapshotResolver): S {
  let s = state;
  for (const op of d) {
    if (op.op === 'set') {
      if (op.key === 'ensemble') throw new DiffError("diff does not apply: 'ensemble' changes only through weights/snapshot ops");
      s = { ...s, [op.key]: op.to };
    } else if (op.op === 'snapshot') {
      let next: Ensemble | null = null;
      if (op.to !== null) {
        const found = resolve(op.to);
        if (!found) throw new DiffError(`diff does not apply: weights snapshot ${op.to} is missing from the store`);
        next = found;
      }
      s = { ...s, ensemble: next };
    } else {
      const e = s.ensemble;
      if (!e) throw new DiffError('diff does not apply: a weight edit needs a student, and there is none yet');
      const W = op.W.length ? e.served.W.slice() : e.served.W;
      const b = op.b.length ? e.served.b.slice() : e.served.b;
      applyChanges(W, op.W, 'W');
      applyChanges(b, op.b, 'b');
      s = { ...s, ensemble: { ...e, served: { ...e.served, W, b } } };
    }
  }
  return s;
}

/** Merge two sparse lists applied in sequence: first `from`, last `to`, no-ops dropped, sorted. */
function composeChanges(a: readonly SparseChange[], b: readonly SparseChange[]): SparseChange[] {
  const m = new Map<number, SparseChange>();
  for (const c of a) m.set(c.index, { ...c });
  for (const c of b) {
    const prev = m.get(c.index);
    m.set(c.index, prev ? { index: c.index, from: prev.from, to: c.to } : { ...c });
  }
  return [...m.values()].filter((c) => !Object.is(c.from, c.to)).sort((x, y) => x.index - y.index);
}

/**
 * Canonical form of a diff with the same effect: adjacent ensemble ops merged (weights+weights,
 * snapshot+snapshot), `set` ops merged per key (they commute with everything else, since they
 * touch other fields), and no-op entries dropped. Used to squash drags and path transitions.
 */
export function normalizeDiff(d: Diff): Diff {
  const ens: (WeightsOp | SnapshotOp)[] = [];
  const sets = new Map<string, SetOp>();
  for (const op of d) {
    if (op.op === 'set') {
      const prev = sets.get(op.key);
      sets.set(op.key, prev ? { op: 'set', key: op.key, from: prev.from, to: op.to } : op);
      continue;
    }
    const last = ens[ens.length - 1];
    if (last && last.op === 'weights' && op.op === 'weights') {
      ens[ens.length - 1] = { op: 'weights', W: composeChanges(last.W, op.W), b: composeChanges(last.b, op.b) };
    } else if (last && last.op === 'snapshot' && op.op === 'snapshot') {
      ens[ens.length - 1] = { op: 'snapshot', from: last.from, to: op.to };
    } else if (op.op === 'weights') {
      ens.push({ op: 'weights', W: composeChanges([], op.W), b: composeChanges([], op.b) });
    } else {
      ens.push(op);
    }
  }
  const out: DiffOp[] = ens.filter((op) =>
    op.op === 'weights' ? op.W.length + op.b.length > 0 : op.from !== op.to,
  );
  for (const op of sets.values()) if (!Object.is(op.from, op.to)) out.push(op);
  return out;
}

/** `a` then `b` as one diff (normalised): apply(compose(a, b)) = apply(b) ∘ apply(a). */
export function composeDiffs(...ds: Diff[]): Diff {
  return normalizeDiff(ds.flat());
}

/** True when a diff changes nothing. */
export function isEmptyDiff(d: Diff): boolean {
  return normalizeDiff(d).length === 0;
}

/** The sparse diff between two served models of the same shape (changed entries only). */
export function weightsDiff(from: Ensemble, to: Ensemble): WeightsOp {
  if (from.served.W.length !== to.served.W.length || from.served.b.length !== to.served.b.length) {
    throw new DiffError('cannot diff weights of different shapes');
  }
  const W: SparseChange[] = [];
  const b: SparseChange[] = [];
  for (let i = 0; i < to.served.W.length; i++) {
    if (!Object.is(from.served.W[i], to.served.W[i])) W.push({ index: i, from: from.served.W[i], to: to.served.W[i] });
  }
  for (let i = 0; i < to.served.b.length; i++) {
    if (!Object.is(from.served.b[i], to.served.b[i])) b.push({ index: i, from: from.served.b[i], to: to.served.b[i] });
  }
  return { op: 'weights', W, b };
}

/**
 * A snapshot op replacing ensemble `from` by `to`, with the snapshots it needs stored (both
 * sides: the old ensemble may exist only as the result of quick edits, so it must be saved
 * now or undo could not swap back to it). Refs are content hashes, so storing is idempotent.
 */
export function snapshotChange(from: Ensemble | null, to: Ensemble | null): { op: SnapshotOp; snapshots: Record<string, Ensemble> } {
  const snapshots: Record<string, Ensemble> = {};
  const fromRef = from ? ensembleRef(from) : null;
  const toRef = to ? ensembleRef(to) : null;
  if (from && fromRef) snapshots[fromRef] = from;
  if (to && toRef) snapshots[toRef] = to;
  return { op: { op: 'snapshot', from: fromRef, to: toRef }, snapshots };
}
