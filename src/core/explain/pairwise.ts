/**
 * "Why A and not B" (METHODS.md §6). Both decompositions are exact, because the student is
 * linear:
 *
 *   two images, one class:   z_c(a) − z_c(b) = Σ_j w_cj (â_aj − â_bj)          (biases cancel)
 *   one image, two classes:  z_c1 − z_c2     = Σ_j (w_c1j − w_c2j) â_j + (b_c1 − b_c2)
 *
 * Terms come sorted by magnitude for the diverging-bar chart. Everything is in doubles so the
 * terms sum to the difference to ~1e-12, well inside the 1e-4 the UI promises.
 */
import type { LinearModel } from '../types.ts';

/** One concept's share of z_c(a) − z_c(b). */
export interface ImagePairTerm {
  concept: number;
  /** w_cj (â_aj − â_bj). */
  value: number;
  weight: number;
  a: number;
  b: number;
}

export interface ImagePairExplanation {
  c: number;
  /** z_c(a), z_c(b). */
  za: number;
  zb: number;
  /** za − zb = Σ terms. */
  total: number;
  terms: ImagePairTerm[];
}

/** One concept's share of z_c1 − z_c2 on one image. */
export interface ClassPairTerm {
  concept: number;
  /** (w_c1j − w_c2j) â_j. */
  value: number;
  w1: number;
  w2: number;
  activation: number;
}

export interface ClassPairExplanation {
  c1: number;
  c2: number;
  z1: number;
  z2: number;
  /** b_c1 − b_c2: the part of the difference no concept explains. */
  biasDiff: number;
  /** z1 − z2 = Σ terms + biasDiff. */
  total: number;
  terms: ClassPairTerm[];
}

function byMagnitude<T extends { concept: number; value: number }>(x: T, y: T): number {
  return Math.abs(y.value) - Math.abs(x.value) || x.concept - y.concept;
}

function check(model: LinearModel, rows: ArrayLike<number>[], classes: number[]): void {
  for (const r of rows) if (r.length !== model.M) throw new Error(`image has ${r.length} concept activations but the model has ${model.M}`);
  for (const c of classes) if (!(Number.isInteger(c) && c >= 0 && c < model.C)) throw new Error(`class ${c} is outside 0..${model.C - 1}`);
}

/** Decompose z_c(a) − z_c(b) over concepts, for two images' standardised activations. */
export function explainImagePair(model: LinearModel, aHatA: ArrayLike<number>, aHatB: ArrayLike<number>, c: number): ImagePairExplanation {
  check(model, [aHatA, aHatB], [c]);
  const { M, W } = model;
  const terms: ImagePairTerm[] = [];
  let za = 0;
  let zb = 0;
  let total = 0;
  for (let j = 0; j < M; j++) {
    const w = W[c * M + j];
    const a = aHatA[j];
    const b = aHatB[j];
    const value = w * (a - b);
    za += w * a;
    zb += w * b;
    total += value;
    terms.push({ concept: j, value, weight: w, a, b });
  }
  terms.sort(byMagnitude);
  return { c, za: za + model.b[c], zb: zb + model.b[c], total, terms };
}

/** Decompose z_c1 − z_c2 over concepts for one image. */
export function explainClassPair(model: LinearModel, aHat: ArrayLike<number>, c1: number, c2: number): ClassPairExplanation {
  check(model, [aHat], [c1, c2]);
  const { M, W } = model;
  const terms: ClassPairTerm[] = [];
  let z1 = 0;
  let z2 = 0;
  let sum = 0;
  for (let j = 0; j < M; j++) {
    const w1 = W[c1 * M + j];
    const w2 = W[c2 * M + j];
    const x = aHat[j];
    const value = (w1 - w2) * x;
    z1 += w1 * x;
    z2 += w2 * x;
    sum += value;
    terms.push({ concept: j, value, w1, w2, activation: x });
  }
  terms.sort(byMagnitude);
  const biasDiff = model.b[c1] - model.b[c2];
  return { c1, c2, z1: z1 + model.b[c1], z2: z2 + model.b[c2], biasDiff, total: sum + biasDiff, terms };
}

/** The two largest logits' classes, [first, second] (first index wins ties, as argmaxRows). */
export function topTwoClasses(z: ArrayLike<number>): [number, number] {
  if (z.length < 2) throw new Error('need at least two classes');
  let c1 = 0;
  for (let c = 1; c < z.length; c++) if (z[c] > z[c1]) c1 = c;
  let c2 = c1 === 0 ? 1 : 0;
  for (let c = 0; c < z.length; c++) if (c !== c1 && z[c] > z[c2]) c2 = c;
  return [c1, c2];
}

/** Why the student chose its top class over the runner-up on this image. */
export function explainDecision(model: LinearModel, aHat: ArrayLike<number>): ClassPairExplanation {
  check(model, [aHat], []);
  const z = new Float64Array(model.C);
  for (let c = 0; c < model.C; c++) {
    // Same summation order as linalg.logits (concepts, then bias) so near-ties resolve alike.
    let s = 0;
    for (let j = 0; j < model.M; j++) s += model.W[c * model.M + j] * aHat[j];
    z[c] = s + model.b[c];
  }
  const [c1, c2] = topTwoClasses(z);
  return explainClassPair(model, aHat, c1, c2);
}
