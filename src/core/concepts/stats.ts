/**
 * Concept standardisation (METHODS.md §2): â_ij = (a_ij − μ_j) / σ_j with μ, σ measured on the
 * distillation split only. Weights are comparable across concepts only because of this step,
 * and μ, σ travel in the export, so the same stats must be applied to every other split.
 */
import type { ConceptStats, Mat } from '../types.ts';

/** Smallest σ used: a concept that is constant on the split must not divide by ~0. */
export const SIGMA_FLOOR = 1e-6;

/**
 * Per-concept mean and (population) standard deviation of the columns of A (N×M), over the
 * given rows (default: all rows). σ is floored at {@link SIGMA_FLOOR}. Accumulates in doubles,
 * two-pass, because one-pass variance loses all digits when μ ≫ σ (CLIP cosines: μ≈0.25, σ≈0.02).
 */
export function conceptStats(A: Mat, rows?: ArrayLike<number>): ConceptStats {
  const { rows: N, cols: M, data } = A;
  const n = rows ? rows.length : N;
  if (n === 0) throw new Error('cannot compute concept statistics on an empty split');
  const mean = new Float64Array(M);
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    if (i < 0 || i >= N) throw new Error(`row ${i} is outside 0..${N - 1}`);
    const o = i * M;
    for (let j = 0; j < M; j++) mean[j] += data[o + j];
  }
  for (let j = 0; j < M; j++) mean[j] /= n;
  const sq = new Float64Array(M);
  for (let k = 0; k < n; k++) {
    const o = (rows ? rows[k] : k) * M;
    for (let j = 0; j < M; j++) {
      const d = data[o + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const mu = new Float32Array(M);
  const sigma = new Float32Array(M);
  for (let j = 0; j < M; j++) {
    mu[j] = mean[j];
    sigma[j] = Math.max(SIGMA_FLOOR, Math.sqrt(sq[j] / n));
  }
  return { mu, sigma };
}

/**
 * Standardised activations â = (a − μ)/σ (N×M). Writes into `out` when given (it may be A
 * itself, for an in-place update of a large matrix).
 */
export function standardise(A: Mat, stats: ConceptStats, out?: Float32Array): Mat {
  const { rows: N, cols: M, data } = A;
  if (stats.mu.length !== M || stats.sigma.length !== M) {
    throw new Error(`statistics are for ${stats.mu.length} concepts but activations have ${M}`);
  }
  const res = out ?? new Float32Array(N * M);
  if (res.length !== N * M) throw new Error(`output has ${res.length} values, expected ${N}×${M}`);
  // Multiply by 1/σ once per concept instead of dividing N·M times.
  const inv = new Float64Array(M);
  for (let j = 0; j < M; j++) inv[j] = 1 / Math.max(SIGMA_FLOOR, stats.sigma[j]);
  for (let i = 0; i < N; i++) {
    const o = i * M;
    for (let j = 0; j < M; j++) res[o + j] = (data[o + j] - stats.mu[j]) * inv[j];
  }
  return { rows: N, cols: M, data: res };
}

/** Keep only the given concept columns of A (e.g. the concepts that survived hygiene). */
export function selectConcepts(A: Mat, concepts: ArrayLike<number>): Mat {
  const { rows: N, cols: M, data } = A;
  const K = concepts.length;
  const out = new Float32Array(N * K);
  for (let k = 0; k < K; k++) if (concepts[k] < 0 || concepts[k] >= M) throw new Error(`concept ${concepts[k]} is outside 0..${M - 1}`);
  for (let i = 0; i < N; i++) {
    const o = i * M;
    const p = i * K;
    for (let k = 0; k < K; k++) out[p + k] = data[o + concepts[k]];
  }
  return { rows: N, cols: K, data: out };
}

/** Stats restricted to the given concepts, in that order (to pair with {@link selectConcepts}). */
export function selectStats(stats: ConceptStats, concepts: ArrayLike<number>): ConceptStats {
  const mu = new Float32Array(concepts.length);
  const sigma = new Float32Array(concepts.length);
  for (let k = 0; k < concepts.length; k++) {
    mu[k] = stats.mu[concepts[k]];
    sigma[k] = stats.sigma[concepts[k]];
  }
  return { mu, sigma };
}
