/**
 * Tune = bound some weights, then refit (METHODS.md §5). This module only turns the user's
 * tuning actions into a {@link Box}; the refit with projection is the student solver's job.
 *
 * Intervals for concept j, class c, original weight w0, factor x > 1:
 *
 *   uptune    w0 > 0: [w0, x·w0]          w0 ≤ 0: [w0, w0 + (x−1)|w0|]
 *             "must count for": both ends floored at ε > 0 (so the weight ends up positive)
 *   downtune  w0 > 0: [w0/x, w0]          w0 < 0: [w0 − (x−1)|w0|, w0]     w0 = 0: [0, 0]
 *   remove    [min(0, w0), max(0, w0)]    (anywhere between "gone" and "as is")
 *   ban       [0, 0] for one class, or for every class
 *
 * Choice made here (METHODS leaves "mirrored" open): uptune raises the weight's *value* for
 * w0 ≤ 0 (that is METHODS' own formula), so downtune is its mirror in value: it lowers the
 * value, i.e. for w0 < 0 it makes the concept count *more* against the class. Shrinking a
 * negative weight towards 0 is "remove" (or uptune, which moves it up towards 0).
 *
 * A zero weight has no scale, so uptune/downtune of w0 = 0 pin it at [0, 0]; the result carries
 * a note so the UI can suggest "must count for" instead.
 */
import type { Box, LinearModel } from '../types.ts';

export const DEFAULT_TUNE_FACTOR = 2;
/** Default floor for "must count for": small but clearly positive in standardised units. */
export const DEFAULT_MUST_COUNT_EPSILON = 1e-3;

export type TuneAction =
  | { kind: 'uptune'; c: number; j: number; factor?: number; mustCount?: boolean; epsilon?: number }
  | { kind: 'downtune'; c: number; j: number; factor?: number }
  | { kind: 'remove'; c: number; j: number }
  /** `c` omitted or 'all': ban the concept for every class. */
  | { kind: 'ban'; j: number; c?: number | 'all' };

/** A bound on one weight. */
export interface WeightBound {
  c: number;
  j: number;
  lo: number;
  hi: number;
  /** Set when the bound is degenerate in a way the user should hear about. */
  note?: string;
}

export interface IntervalOptions {
  factor?: number;
  mustCount?: boolean;
  epsilon?: number;
}

function checkFactor(x: number): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || !(x > 1)) {
    throw new Error(`tune factor must be a finite number greater than 1, got ${x}`);
  }
}

/** The interval for one weight with original value w0 (see the module comment). */
export function tuneInterval(
  kind: 'uptune' | 'downtune' | 'remove' | 'ban',
  w0: number,
  opts: IntervalOptions = {},
): { lo: number; hi: number; note?: string } {
  if (!Number.isFinite(w0)) throw new Error(`original weight must be finite, got ${w0}`);
  const x = opts.factor ?? DEFAULT_TUNE_FACTOR;
  switch (kind) {
    case 'uptune': {
      checkFactor(x);
      let lo = w0;
      let hi = w0 > 0 ? x * w0 : w0 + (x - 1) * Math.abs(w0);
      let note: string | undefined;
      if (opts.mustCount) {
        const eps = opts.epsilon ?? DEFAULT_MUST_COUNT_EPSILON;
        if (!(eps > 0 && Number.isFinite(eps))) throw new Error(`"must count for" needs ε > 0, got ${eps}`);
        lo = Math.max(lo, eps);
        hi = Math.max(hi, eps);
      } else if (w0 === 0) {
        note = 'the weight is 0, so uptuning by a factor cannot move it; use "must count for" to force it positive';
      }
      return note ? { lo, hi, note } : { lo, hi };
    }
    case 'downtune': {
      checkFactor(x);
      if (w0 > 0) return { lo: w0 / x, hi: w0 };
      if (w0 < 0) return { lo: w0 - (x - 1) * Math.abs(w0), hi: w0 };
      return { lo: 0, hi: 0, note: 'the weight is 0, so downtuning by a factor pins it at 0' };
    }
    case 'remove':
      return { lo: Math.min(0, w0), hi: Math.max(0, w0) };
    case 'ban':
      return { lo: 0, hi: 0 };
  }
}

/** The weight bounds one action asks for, given the current (pre-tune) weights. */
export function tuneBounds(action: TuneAction, model: LinearModel): WeightBound[] {
  const { C, M, W } = model;
  const checkJ = (j: number) => {
    if (!Number.isInteger(j) || j < 0 || j >= M) throw new Error(`concept ${j} is outside 0..${M - 1}`);
  };
  const checkC = (c: number) => {
    if (!Number.isInteger(c) || c < 0 || c >= C) throw new Error(`class ${c} is outside 0..${C - 1}`);
  };
  checkJ(action.j);
  if (action.kind === 'ban') {
    const classes = action.c === undefined || action.c === 'all' ? [...Array(C).keys()] : [action.c];
    classes.forEach(checkC);
    return classes.map((c) => ({ c, j: action.j, lo: 0, hi: 0 }));
  }
  checkC(action.c);
  const w0 = W[action.c * M + action.j];
  const opts: IntervalOptions =
    action.kind === 'uptune'
      ? { factor: action.factor, mustCount: action.mustCount, epsilon: action.epsilon }
      : action.kind === 'downtune'
        ? { factor: action.factor }
        : {};
  return [{ c: action.c, j: action.j, ...tuneInterval(action.kind, w0, opts) }];
}

/** A box with every weight free (−∞, +∞). */
export function freeBox(C: number, M: number): Box {
  return { lo: new Float32Array(C * M).fill(-Infinity), hi: new Float32Array(C * M).fill(Infinity) };
}

/**
 * A new box (the input is not mutated) with the given bounds written in.
 * `replace` (default): the latest bound on a weight wins — tuning the same weight twice means
 * the user changed their mind. `intersect`: bounds accumulate, and an empty intersection is an
 * error naming the weight, never a silently infeasible refit.
 */
export function applyBounds(box: Box, M: number, bounds: readonly WeightBound[], mode: 'replace' | 'intersect' = 'replace'): Box {
  const lo = box.lo.slice();
  const hi = box.hi.slice();
  for (const b of bounds) {
    if (!(b.lo <= b.hi)) throw new Error(`empty bound [${b.lo}, ${b.hi}] for class ${b.c}, concept ${b.j}`);
    const k = b.c * M + b.j;
    if (k < 0 || k >= lo.length) throw new Error(`bound for class ${b.c}, concept ${b.j} is outside the box`);
    if (mode === 'replace') {
      lo[k] = b.lo;
      hi[k] = b.hi;
    } else {
      const l = Math.max(lo[k], b.lo);
      const h = Math.min(hi[k], b.hi);
      if (!(l <= h)) {
        throw new Error(`class ${b.c}, concept ${b.j}: [${b.lo}, ${b.hi}] does not overlap the existing [${lo[k]}, ${hi[k]}]`);
      }
      lo[k] = l;
      hi[k] = h;
    }
  }
  return { lo, hi };
}

/**
 * The box for a list of tuning actions on `model` (all intervals are taken from the weights
 * *before* this tune), merged into `box` if given, else into a free box.
 */
export function tuneBox(
  actions: readonly TuneAction[],
  model: LinearModel,
  box?: Box,
  mode: 'replace' | 'intersect' = 'replace',
): { box: Box; bounds: WeightBound[] } {
  const start = box ?? freeBox(model.C, model.M);
  if (start.lo.length !== model.C * model.M || start.hi.length !== model.C * model.M) {
    throw new Error(`box has ${start.lo.length} entries, expected ${model.C}×${model.M}`);
  }
  const bounds = actions.flatMap((a) => tuneBounds(a, model));
  return { box: applyBounds(start, model.M, bounds, mode), bounds };
}

/** Every weight the box constrains (finite lo or hi), for listing active tunes in the UI. */
export function constrainedWeights(box: Box, M: number): WeightBound[] {
  const out: WeightBound[] = [];
  for (let k = 0; k < box.lo.length; k++) {
    if (box.lo[k] !== -Infinity || box.hi[k] !== Infinity) {
      out.push({ c: Math.floor(k / M), j: k % M, lo: box.lo[k], hi: box.hi[k] });
    }
  }
  return out;
}

/** Free one weight again (undoing a tune on it without touching the others). */
export function releaseBound(box: Box, M: number, c: number, j: number): Box {
  const lo = box.lo.slice();
  const hi = box.hi.slice();
  lo[c * M + j] = -Infinity;
  hi[c * M + j] = Infinity;
  return { lo, hi };
}
