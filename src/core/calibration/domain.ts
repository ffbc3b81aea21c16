/**
 * Domain-aware concept calibration (METHODS.md §8, after domain-conditioned normalisation).
 *
 * Domain prompts ("a photo in dim light", "a photo in haze", …) embedded as text give every image
 * a domain posterior π = softmax(cos(x, t_d) / T), T = 0.01, over its full-image embedding x.
 * Each domain has its own concept statistics μ_jd, σ_jd (π-weighted over a set of images), and
 * the standardisation of image x uses their mixture:
 *
 *     μ_j(x) = Σ_d π_d(x) μ_jd ,   σ_j(x) = Σ_d π_d(x) σ_jd   (σ floored at 1e-6)
 *     â_j(x) = (a_j(x) − μ_j(x)) / σ_j(x)
 *
 * Modes: 'off' (plain §2 standardisation with the distillation split's μ, σ), 'source'
 * (per-domain statistics of the distillation split), 'test-time' (per-domain statistics of an
 * unlabelled batch of ≥ 30 images of the new conditions).
 *
 * Choices METHODS leaves open, made here (and tested):
 * - π-weighted statistics: μ_jd = Σ_i π_id a_ij / Σ_i π_id, σ²_jd = Σ_i π_id (a_ij − μ_jd)² / Σ_i π_id
 *   (population variance, as §2's σ), each shrunk toward a prior by a pseudo-count κ
 *   (DOMAIN_PRIOR_WEIGHT = 5 images): μ_jd = (Σ π a + κ μ⁰_j) / (Σ π + κ), and σ² likewise
 *   with κ(σ⁰² + (μ⁰ − μ_jd)²). A domain almost no image belongs to thus falls back to the prior
 *   instead of dividing by ~0. The prior of 'source' statistics is the plain statistics of
 *   the same images (so one domain gives exactly the plain statistics); the prior of
 *   'test-time' statistics is the source statistics of the same domain (a domain absent from
 *   the batch keeps its source statistics).
 * - σ is mixed linearly (not the variances), as METHODS writes "likewise σ".
 */
import type { ConceptStats, Mat } from '../types.ts';
import { softmax } from '../math/linalg.ts';
import { conceptStats, SIGMA_FLOOR, standardise } from '../concepts/stats.ts';
import { normaliseRows, type RegionEmbeddings } from '../concepts/activations.ts';

/** Temperature of the domain posterior (METHODS §8). */
export const DOMAIN_TEMPERATURE = 0.01;
/** Fewest unlabelled images test-time statistics are estimated from (METHODS §8). */
export const MIN_TEST_TIME_BATCH = 30;
/** Pseudo-count κ (in images) pulling each domain's statistics toward their prior. */
export const DOMAIN_PRIOR_WEIGHT = 5;

export type DomainMode = 'off' | 'source' | 'test-time';

/** Per-domain concept statistics: K domains × M concepts, row d = domain d; `mass` = Σ_i π_id. */
export interface DomainConceptStats {
  K: number;
  M: number;
  mu: Float32Array;
  sigma: Float32Array;
  mass: Float64Array;
}

/** A bad calibration request (too small a batch, sizes that disagree); the message is for the user. */
export class DomainCalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DomainCalibrationError';
  }
}

/** The K×D matrix of the domain prompts' text embeddings, in order (K = domains.length). */
export function domainTextMatrix(domains: readonly { textEmbedding: ArrayLike<number> }[], D: number): Mat {
  const data = new Float32Array(domains.length * D);
  domains.forEach((d, k) => {
    if (d.textEmbedding.length !== D) throw new DomainCalibrationError(`domain prompt ${k + 1} has ${d.textEmbedding.length} dimensions, the images ${D}`);
    data.set(d.textEmbedding, k * D);
  });
  return { rows: domains.length, cols: D, data };
}

/**
 * Domain posterior π (N×K, rows sum to 1) of the given images (default all) from the full-image
 * row (region 0) of their embeddings and the K domain prompt embeddings (both L2-normalised here).
 */
export function domainPosterior(images: RegionEmbeddings, domainText: Mat, temperature = DOMAIN_TEMPERATURE, rows?: ArrayLike<number>): Mat {
  const { N, R, D, data } = images;
  const K = domainText.rows;
  if (domainText.cols !== D) throw new DomainCalibrationError(`domain prompt embeddings have ${domainText.cols} dimensions, the images ${D}`);
  if (K === 0) throw new DomainCalibrationError('there are no domain prompts');
  if (!(temperature > 0)) throw new DomainCalibrationError(`the domain temperature must be above 0, got ${temperature}`);
  const T = normaliseRows(domainText).data;
  const n = rows ? rows.length : N;
  const out = new Float32Array(n * K);
  const cos = new Float64Array(K);
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    if (i < 0 || i >= N) throw new DomainCalibrationError(`image ${i} is outside 0..${N - 1}`);
    const o = i * R * D;
    let norm = 0;
    for (let d = 0; d < D; d++) norm += data[o + d] * data[o + d];
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let t = 0; t < K; t++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += data[o + d] * T[t * D + d];
      cos[t] = s * inv;
    }
    out.set(softmax(cos, temperature), k * K);
  }
  return { rows: n, cols: K, data: out };
}

/** Index of the most likely domain per image (first on ties). */
export function likeliestDomain(pi: Mat): Int32Array {
  const out = new Int32Array(pi.rows);
  for (let i = 0; i < pi.rows; i++) {
    let best = 0;
    for (let d = 1; d < pi.cols; d++) if (pi.data[i * pi.cols + d] > pi.data[i * pi.cols + best]) best = d;
    out[i] = best;
  }
  return out;
}

/** The prior each domain is shrunk toward: one set of stats for all domains, or one per domain. */
export type DomainPrior = { stats: ConceptStats } | { perDomain: DomainConceptStats };

/**
 * π-weighted per-domain statistics of the rows `rows` of A (N×M raw activations); `pi` holds
 * one posterior row per entry of `rows` (same order). Shrunk toward `prior` by `weight` images
 * (default: the plain statistics of the same rows, κ = DOMAIN_PRIOR_WEIGHT).
 */
export function domainConceptStats(A: Mat, pi: Mat, rows: ArrayLike<number>, prior?: DomainPrior, weight = DOMAIN_PRIOR_WEIGHT): DomainConceptStats {
  const { cols: M, data } = A;
  const K = pi.cols;
  const n = rows.length;
  if (pi.rows !== n) throw new DomainCalibrationError(`the posterior has ${pi.rows} rows for ${n} images`);
  if (n === 0) throw new DomainCalibrationError('cannot compute domain statistics on no images');
  if (!(weight >= 0)) throw new DomainCalibrationError(`the prior weight must be ≥ 0, got ${weight}`);
  const p = prior ?? { stats: conceptStats(A, rows) };
  const priorMu = (d: number, j: number) => ('stats' in p ? p.stats.mu[j] : p.perDomain.mu[d * M + j]);
  const priorSigma = (d: number, j: number) => ('stats' in p ? p.stats.sigma[j] : p.perDomain.sigma[d * M + j]);
  if ('perDomain' in p && (p.perDomain.K !== K || p.perDomain.M !== M)) {
    throw new DomainCalibrationError(`the prior has ${p.perDomain.K} domains × ${p.perDomain.M} concepts, expected ${K} × ${M}`);
  }
  const mass = new Float64Array(K);
  const sum = new Float64Array(K * M);
  for (let k = 0; k < n; k++) {
    const o = rows[k] * M;
    for (let d = 0; d < K; d++) {
      const w = pi.data[k * K + d];
      mass[d] += w;
      if (w === 0) continue;
      for (let j = 0; j < M; j++) sum[d * M + j] += w * data[o + j];
    }
  }
  const mu = new Float64Array(K * M);
  for (let d = 0; d < K; d++) {
    const den = mass[d] + weight;
    for (let j = 0; j < M; j++) mu[d * M + j] = den > 0 ? (sum[d * M + j] + weight * priorMu(d, j)) / den : priorMu(d, j);
  }
  // Second pass around the final means (two-pass, as conceptStats: μ ≫ σ for CLIP cosines).
  const sq = new Float64Array(K * M);
  for (let k = 0; k < n; k++) {
    const o = rows[k] * M;
    for (let d = 0; d < K; d++) {
      const w = pi.data[k * K + d];
      if (w === 0) continue;
      for (let j = 0; j < M; j++) {
        const e = data[o + j] - mu[d * M + j];
        sq[d * M + j] += w * e * e;
      }
    }
  }
  const outMu = new Float32Array(K * M);
  const outSigma = new Float32Array(K * M);
  for (let d = 0; d < K; d++) {
    const den = mass[d] + weight;
    for (let j = 0; j < M; j++) {
      const x = d * M + j;
      const s0 = priorSigma(d, j);
      const m0 = priorMu(d, j) - mu[x];
      const v = den > 0 ? (sq[x] + weight * (s0 * s0 + m0 * m0)) / den : s0 * s0;
      outMu[x] = mu[x];
      outSigma[x] = Math.max(SIGMA_FLOOR, Math.sqrt(v));
    }
  }
  return { K, M, mu: outMu, sigma: outSigma, mass };
}

/**
 * Test-time statistics from an unlabelled batch (METHODS §8): the batch's π-weighted per-domain
 * statistics, shrunk toward the source statistics of each domain. Refuses batches under
 * MIN_TEST_TIME_BATCH images with a message saying how many it has and needs.
 */
export function testTimeStats(A: Mat, pi: Mat, rows: ArrayLike<number>, source: DomainConceptStats, weight = DOMAIN_PRIOR_WEIGHT): DomainConceptStats {
  if (rows.length < MIN_TEST_TIME_BATCH) {
    throw new DomainCalibrationError(
      `test-time statistics need an unlabelled batch of at least ${MIN_TEST_TIME_BATCH} images of the new conditions; this batch has ${rows.length}`,
    );
  }
  return domainConceptStats(A, pi, rows, { perDomain: source }, weight);
}

/** μ(x), σ(x) of one image from its posterior row (K) and the per-domain statistics. */
export function mixStats(piRow: ArrayLike<number>, s: DomainConceptStats): ConceptStats {
  const { K, M } = s;
  if (piRow.length !== K) throw new DomainCalibrationError(`the posterior has ${piRow.length} domains, the statistics ${K}`);
  const mu = new Float32Array(M);
  const sigma = new Float32Array(M);
  for (let j = 0; j < M; j++) {
    let m = 0;
    let sd = 0;
    for (let d = 0; d < K; d++) {
      m += piRow[d] * s.mu[d * M + j];
      sd += piRow[d] * s.sigma[d * M + j];
    }
    mu[j] = m;
    sigma[j] = Math.max(SIGMA_FLOOR, sd);
  }
  return { mu, sigma };
}

/**
 * Calibrated standardisation of every row of A (N×M) with its posterior row of `pi` (N×K):
 * â_ij = (a_ij − μ_j(x_i)) / σ_j(x_i). Writes into `out` when given.
 */
export function calibratedStandardise(A: Mat, pi: Mat, s: DomainConceptStats, out?: Float32Array): Mat {
  const { rows: N, cols: M, data } = A;
  if (pi.rows !== N) throw new DomainCalibrationError(`the posterior has ${pi.rows} rows, the activations ${N}`);
  if (s.M !== M) throw new DomainCalibrationError(`domain statistics are for ${s.M} concepts, the activations have ${M}`);
  const res = out ?? new Float32Array(N * M);
  for (let i = 0; i < N; i++) {
    const st = mixStats(pi.data.subarray(i * pi.cols, (i + 1) * pi.cols), s);
    const o = i * M;
    for (let j = 0; j < M; j++) res[o + j] = (data[o + j] - st.mu[j]) / st.sigma[j];
  }
  return { rows: N, cols: M, data: res };
}

/** What a standardisation needs: the mode and, unless it is 'off', the per-domain statistics. */
export interface Calibrated {
  mode: DomainMode;
  /** Posterior of every row of A (N×K); ignored when mode is 'off'. */
  pi?: Mat | null;
  domains?: DomainConceptStats | null;
}

/** Standardise A under a calibration: 'off' (or no domains) = plain §2 standardisation with `stats`. */
export function standardiseCalibrated(A: Mat, stats: ConceptStats, c: Calibrated | null | undefined, out?: Float32Array): Mat {
  if (!c || c.mode === 'off' || !c.domains || !c.pi || c.domains.K === 0) return standardise(A, stats, out);
  return calibratedStandardise(A, c.pi, c.domains, out);
}

/** Per-domain statistics as K separate rows (the export's and the project's `domains[d].mu/sigma`). */
export function splitDomains(s: DomainConceptStats): { mu: Float32Array; sigma: Float32Array }[] {
  return Array.from({ length: s.K }, (_, d) => ({ mu: s.mu.slice(d * s.M, (d + 1) * s.M), sigma: s.sigma.slice(d * s.M, (d + 1) * s.M) }));
}

/** The inverse of {@link splitDomains} (mass unknown: zeros). */
export function joinDomains(rows: { mu: ArrayLike<number>; sigma: ArrayLike<number> }[]): DomainConceptStats {
  const K = rows.length;
  const M = K ? rows[0].mu.length : 0;
  const mu = new Float32Array(K * M);
  const sigma = new Float32Array(K * M);
  rows.forEach((r, d) => {
    if (r.mu.length !== M || r.sigma.length !== M) throw new DomainCalibrationError(`domain ${d} has ${r.mu.length}/${r.sigma.length} statistics, expected ${M}`);
    mu.set(r.mu, d * M);
    sigma.set(r.sigma, d * M);
  });
  return { K, M, mu, sigma, mass: new Float64Array(K) };
}
