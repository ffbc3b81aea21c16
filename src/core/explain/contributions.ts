/**
 * Per-image explanations (METHODS.md §6): the contribution of concept j to class c on image i
 * is w_cj·â_ij, and these plus b_c sum to z_ic exactly. Sums run in doubles over the float32
 * weights and activations, i.e. exactly the arithmetic of `linalg.logits`, so the bars the user
 * sees add up to the logit the student actually used.
 */
import type { LinearModel, Mat } from '../types.ts';

/** One concept's share of a score. */
export interface Term {
  concept: number;
  value: number;
}

export interface ClassContributions {
  c: number;
  /** M values w_cj·â_j. */
  values: Float64Array;
  bias: number;
  /** Σ_j values[j] + bias = z_c. */
  logit: number;
}

function checkRow(model: LinearModel, aHat: ArrayLike<number>): void {
  if (aHat.length !== model.M) throw new Error(`image has ${aHat.length} concept activations but the model has ${model.M}`);
}

function checkClass(model: LinearModel, c: number): void {
  if (!(Number.isInteger(c) && c >= 0 && c < model.C)) throw new Error(`class ${c} is outside 0..${model.C - 1}`);
}

/** Row i of a matrix as a view (no copy). */
export function row(A: Mat, i: number): Float32Array {
  if (!(i >= 0 && i < A.rows)) throw new Error(`row ${i} is outside 0..${A.rows - 1}`);
  return A.data.subarray(i * A.cols, (i + 1) * A.cols);
}

/** Contributions of every concept to class c for one image's standardised activations â. */
export function contributions(model: LinearModel, aHat: ArrayLike<number>, c: number): ClassContributions {
  checkRow(model, aHat);
  checkClass(model, c);
  const { M, W } = model;
  const values = new Float64Array(M);
  let s = 0;
  for (let j = 0; j < M; j++) {
    const v = W[c * M + j] * aHat[j];
    values[j] = v;
    s += v;
  }
  const bias = model.b[c];
  return { c, values, bias, logit: s + bias };
}

/** Contributions to every class (C entries), e.g. for a per-image table. */
export function allContributions(model: LinearModel, aHat: ArrayLike<number>): ClassContributions[] {
  return Array.from({ length: model.C }, (_, c) => contributions(model, aHat, c));
}

/**
 * The k largest terms by magnitude (all when k is omitted), largest first, ties by concept
 * index so the order is stable across renders. `sign` keeps only positive or negative terms.
 */
export function topTerms(values: ArrayLike<number>, k?: number, sign: 'both' | 'positive' | 'negative' = 'both'): Term[] {
  const terms: Term[] = [];
  for (let j = 0; j < values.length; j++) {
    const v = values[j];
    if (sign === 'positive' && !(v > 0)) continue;
    if (sign === 'negative' && !(v < 0)) continue;
    terms.push({ concept: j, value: v });
  }
  terms.sort((x, y) => Math.abs(y.value) - Math.abs(x.value) || x.concept - y.concept);
  return k === undefined ? terms : terms.slice(0, Math.max(0, k));
}

/** The top-k contributions to class c for one image (largest |w_cj·â_j| first). */
export function topContributions(
  model: LinearModel,
  aHat: ArrayLike<number>,
  c: number,
  k = 5,
  sign: 'both' | 'positive' | 'negative' = 'both',
): Term[] {
  return topTerms(contributions(model, aHat, c).values, k, sign);
}
