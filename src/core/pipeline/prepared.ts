/**
 * The per-project work a refit would otherwise redo on every click (METHODS.md §5 at 10k images
 * and 600 concepts: ~0.3 s of checks, standardisation and row copies, and ~0.2 s of logits for
 * the predictions, against ~0.5 s for the solve itself).
 *
 * The train worker calls `tune` again and again on the very same `raw` and `teacher` objects
 * (it keeps them between calls) with the same statistics and split. So this module keeps, for
 * the last (raw, teacher, stats, split) it saw:
 * - that raw and teacher passed `checkInputs` (labels are still checked on every call: cheap);
 * - the standardised distillation rows and their teacher rows, as the same objects every time,
 *   so the solver's kept kernel (student/kernelCache.ts) recognises them at once, and the
 *   standardised other rows (together: â of every image, but no second N×M copy);
 * - the logits of the last served student over every image, so the next predictions recompute
 *   only the classes whose weights changed (a tuning step changes one class, or one concept).
 *   Each logit is computed exactly as `logits(standardise(raw, stats), served)` computes it, so
 *   the predictions are bit-identical to a recompute (tested).
 *
 * Identity is the key: `raw.data` and `teacher.data` must not be changed in place between calls
 * (the worker's kept arrays and the studio's datasets never are; new data is a new array).
 * Statistics and split are compared by value, because they arrive as fresh copies.
 */
import type { ConceptStats, LinearModel, Mat } from '../types.ts';
import { argmaxRows, takeRows } from '../math/linalg.ts';
import { standardise } from '../concepts/stats.ts';
import type { Split } from '../metrics/split.ts';

export interface PreparedData {
  raw: Mat;
  teacher: Mat;
  stats: ConceptStats;
  split: Split;
  /** Standardised activations of the distillation rows, and their teacher rows. */
  trainA: Mat;
  trainP: Mat;
  /** Standardised activations of every other image (held out, or in neither side), in image order. */
  otherA: Mat;
  /** Per image: its row in trainA (≥ 0), or −1 − its row in otherA. */
  where: Int32Array;
  teacherLabels: Int32Array;
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

let last: PreparedData | null = null;

/**
 * The distillation rows for (raw, teacher, stats, split), reused when the same objects and values
 * come again. `check` validates raw and teacher (it runs only when they are new).
 */
export function prepareData(raw: Mat, teacher: Mat, stats: ConceptStats, split: Split, check: () => void): PreparedData {
  const l = last;
  if (
    l && l.raw.data === raw.data && l.raw.rows === raw.rows && l.raw.cols === raw.cols
    && l.teacher.data === teacher.data && l.teacher.rows === teacher.rows && l.teacher.cols === teacher.cols
    && sameValues(l.stats.mu, stats.mu) && sameValues(l.stats.sigma, stats.sigma)
    && sameValues(l.split.train, split.train) && sameValues(l.split.heldOut, split.heldOut)
  ) return l;
  check();
  const N = raw.rows;
  const where = new Int32Array(N).fill(-1);
  split.train.forEach((i, r) => {
    if (!(i >= 0 && i < N)) throw new Error(`split: image ${i} does not exist (N = ${N})`);
    where[i] = r;
  });
  const others: number[] = [];
  for (let i = 0; i < N; i++) {
    if (where[i] < 0) {
      where[i] = -1 - others.length;
      others.push(i);
    }
  }
  // â exactly as standardise(raw, stats) stores it, row for row (standardising is per element).
  const trainA = standardise(takeRows(raw, split.train), stats);
  const otherA = standardise(takeRows(raw, others), stats);
  const trainP = takeRows(teacher, split.train);
  last = { raw, teacher, stats: { mu: stats.mu.slice(), sigma: stats.sigma.slice() }, split: { train: split.train.slice(), heldOut: split.heldOut.slice() }, trainA, trainP, otherA, where, teacherLabels: argmaxRows(teacher) };
  return last;
}

/** The last served student's logits over every image (N×C), and what they were computed from. */
let lastZ: { prep: PreparedData; W: Float32Array; b: Float32Array; Z: Float32Array } | null = null;

/**
 * Predictions of `served` for every image of `prep`: argmax of
 * `logits(standardise(raw, stats), served)`, bit for bit (the same float32 â, the same order of
 * the sums), recomputing only the classes whose weights or bias differ from the last call's.
 */
export function predictServed(prep: PreparedData, served: LinearModel): Int32Array {
  const { rows: N, cols: M } = prep.raw;
  const C = served.C;
  if (served.M !== M) throw new Error(`activations have ${M} concepts but the model has ${served.M}`);
  const prev = lastZ !== null && lastZ.prep === prep && lastZ.b.length === C && lastZ.W.length === C * M ? lastZ : null;
  const Z = prev ? prev.Z.slice() : new Float32Array(N * C);
  const redo: number[] = [];
  for (let c = 0; c < C; c++) {
    let same = prev !== null && prev.b[c] === served.b[c];
    for (let j = 0; same && j < M; j++) same = prev!.W[c * M + j] === served.W[c * M + j];
    if (!same) redo.push(c);
  }
  const W = served.W;
  for (let i = 0; i < N && redo.length; i++) {
    const r = prep.where[i];
    const a = r >= 0 ? prep.trainA.data : prep.otherA.data;
    const ai = (r >= 0 ? r : -1 - r) * M;
    for (const c of redo) {
      const wc = c * M;
      let s = 0;
      for (let j = 0; j < M; j++) s += a[ai + j] * W[wc + j];
      Z[i * C + c] = s + served.b[c];
    }
  }
  lastZ = { prep, W: Float32Array.from(served.W), b: Float32Array.from(served.b), Z };
  return argmaxRows({ rows: N, cols: C, data: Z });
}

/** Forget both caches (tests). */
export function clearPrepared(): void {
  last = null;
  lastZ = null;
}
