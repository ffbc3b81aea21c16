/**
 * Seeded synthetic distillation problems for tests and benchmarks: concept activations with
 * the correlation structure of CLIP scores (a few shared latent factors plus noise, so the
 * problem is as ill-conditioned as real ones), and a softmax teacher driven by a planted sparse
 * linear model over the concepts plus a small nonlinear part the student cannot copy.
 */
import type { Mat } from '../types.ts';
import { mulberry32, randInt, randNormal } from '../math/rng.ts';

export interface SyntheticOptions {
  N: number;
  M: number;
  C: number;
  seed?: number;
  /** Latent factors shared by the concepts (default min(20, M)). */
  factors?: number;
  /** Share of each concept's variance that is its own noise (default 0.5). */
  noise?: number;
  /** Non-zero planted weights per class (default min(10, M)). */
  active?: number;
  /** Scale of the planted weights (default 1.5). */
  scale?: number;
  /** Weight of the nonlinear part of the teacher's logits (default 0.3). */
  nonlinear?: number;
  /**
   * 'softmax' (default): a multi-class teacher, as real classifiers are. 'sigmoid': independent
   * per-class probabilities, for which the planted model is itself the one-vs-rest optimum.
   */
  teacher?: 'softmax' | 'sigmoid';
}

export interface SyntheticProblem {
  /** N×M standardised activations. */
  A: Mat;
  /** N×C teacher probabilities (softmax rows). */
  P: Mat;
  /** The planted sparse weights (C×M) and biases. */
  W: Float32Array;
  b: Float32Array;
}

export function syntheticProblem(o: SyntheticOptions): SyntheticProblem {
  const { N, M, C } = o;
  const F = o.factors ?? Math.min(20, M);
  const noise = o.noise ?? 0.5;
  const rng = mulberry32(o.seed ?? 1);

  const L = new Float64Array(F * M);
  for (let q = 0; q < L.length; q++) L[q] = randNormal(rng);
  const A = new Float32Array(N * M);
  const z = new Float64Array(F);
  const mix = Math.sqrt(1 - noise);
  const own = Math.sqrt(noise);
  for (let i = 0; i < N; i++) {
    for (let f = 0; f < F; f++) z[f] = randNormal(rng);
    for (let j = 0; j < M; j++) {
      let s = 0;
      for (let f = 0; f < F; f++) s += z[f] * L[f * M + j];
      A[i * M + j] = (mix * s) / Math.sqrt(F) + own * randNormal(rng);
    }
  }
  // Standardise per concept, as METHODS.md §2 does with the distillation split's statistics.
  for (let j = 0; j < M; j++) {
    let mu = 0;
    for (let i = 0; i < N; i++) mu += A[i * M + j];
    mu /= N;
    let v = 0;
    for (let i = 0; i < N; i++) v += (A[i * M + j] - mu) ** 2;
    const sd = Math.max(Math.sqrt(v / N), 1e-6);
    for (let i = 0; i < N; i++) A[i * M + j] = (A[i * M + j] - mu) / sd;
  }

  const active = o.active ?? Math.min(10, M);
  const scale = o.scale ?? 1.5;
  const W = new Float32Array(C * M);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    for (let a = 0; a < active; a++) W[c * M + randInt(rng, M)] = (scale * randNormal(rng)) / Math.sqrt(active / 4);
    b[c] = 0.5 * randNormal(rng);
  }
  const nl = o.nonlinear ?? 0.3;
  const P = new Float32Array(N * C);
  const t = new Float64Array(C);
  for (let i = 0; i < N; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = b[c];
      for (let j = 0; j < M; j++) s += W[c * M + j] * A[i * M + j];
      // Interaction of two concepts: something a linear student can only approximate.
      s += nl * scale * A[i * M + ((c * 7) % M)] * A[i * M + ((c * 13 + 1) % M)];
      t[c] = s;
      max = Math.max(max, s);
    }
    if (o.teacher === 'sigmoid') {
      for (let c = 0; c < C; c++) P[i * C + c] = 1 / (1 + Math.exp(-t[c]));
      continue;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += (t[c] = Math.exp(t[c] - max));
    for (let c = 0; c < C; c++) P[i * C + c] = t[c] / sum;
  }
  return { A: { rows: N, cols: M, data: A }, P: { rows: N, cols: C, data: P }, W, b };
}
