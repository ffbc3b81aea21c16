/**
 * Out-of-distribution flag (METHODS.md §8): the MCM score ("maximum concept matching") of an
 * image embedding against a set of class prototypes, the student-prototype variant that follows
 * the user's edits, the 95 %-pass threshold, and AUROC / FPR95 with seeded bootstrap CIs.
 *
 * Conventions (used everywhere the studio, the CLI and the export talk about OOD):
 * - High score = in-distribution (ID). An image is accepted (not flagged) when S(x) ≥ λ and
 *   flagged "unfamiliar" when S(x) < λ.
 * - Threshold rule (`passThreshold`): for n held-out ID scores and a pass rate q (0.95),
 *   k = ⌈q·n⌉ (computed with a 1e-9 slack so 0.95·20 = 19 exactly), and λ = the k-th largest
 *   ID score. Then at least k of n (≥ q) ID images pass; ties at λ all pass, so the pass rate
 *   can exceed q.
 * - FPR95 uses the same rule with q = 0.95 on the ID scores given: the fraction of OOD scores
 *   ≥ λ (OOD images wrongly accepted as ID; ID is the positive class).
 * - AUROC = P(S_ID > S_OOD) + ½·P(S_ID = S_OOD) over all ID×OOD pairs.
 */
import type { ConceptStats, LinearModel, Mat } from '../types.ts';
import { softmax } from '../math/linalg.ts';
import { normaliseRows } from '../concepts/activations.ts';
import { SIGMA_FLOOR } from '../concepts/stats.ts';
import { mulberry32 } from '../math/rng.ts';

/** τ of METHODS §8. */
export const MCM_TAU = 1;
/** Share of held-out ID images that pass the default threshold. */
export const OOD_PASS_RATE = 0.95;

/**
 * Student prototypes p_c = normalise(Σ_j (w_cj / σ_j) t_j) (METHODS §8): with raw concept
 * cosines, the linear student is this set of prototypes, so its OOD score follows edits.
 */
export function studentPrototypes(student: LinearModel, conceptText: Mat, stats: ConceptStats): Mat {
  const { C, M } = student;
  if (conceptText.rows !== M) throw new Error(`concept text embeddings have ${conceptText.rows} rows, the student has ${M} concepts`);
  const D = conceptText.cols;
  const T = normaliseRows(conceptText).data;
  const P = new Float32Array(C * D);
  for (let c = 0; c < C; c++) {
    for (let j = 0; j < M; j++) {
      const g = student.W[c * M + j] / Math.max(SIGMA_FLOOR, stats.sigma[j]);
      if (g !== 0) for (let d = 0; d < D; d++) P[c * D + d] += g * T[j * D + d];
    }
  }
  return normaliseRows({ rows: C, cols: D, data: P });
}

/**
 * MCM score S(x) = max_c softmax_c(cos(x, p_c) / τ). `x` is used as given (normalise it first:
 * the cosine needs a unit x); the prototypes are normalised here.
 */
export function mcmScore(x: ArrayLike<number>, prototypes: Mat, tau = MCM_TAU): number {
  const P = normaliseRows(prototypes).data;
  const D = prototypes.cols;
  if (x.length !== D) throw new Error(`an image embedding of size ${x.length} against prototypes of size ${D}`);
  const cos = new Float64Array(prototypes.rows);
  for (let c = 0; c < prototypes.rows; c++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += x[d] * P[c * D + d];
    cos[c] = s;
  }
  const p = softmax(cos, tau);
  let m = 0;
  for (let c = 0; c < p.length; c++) m = Math.max(m, p[c]);
  return m;
}

/**
 * MCM scores of many images: `images` is N×R×D region embeddings (row 0 of each image = the
 * full image, the only one used) or an N×D matrix (R = 1). Each full-image row is normalised.
 */
export function mcmScores(images: { N: number; R: number; D: number; data: Float32Array }, prototypes: Mat, tau = MCM_TAU, rows?: ArrayLike<number>): Float64Array {
  const { R, D, data } = images;
  if (D !== prototypes.cols) throw new Error(`image embeddings of size ${D} against prototypes of size ${prototypes.cols}`);
  const P = normaliseRows(prototypes);
  const idx = rows ?? Array.from({ length: images.N }, (_, i) => i);
  const out = new Float64Array(idx.length);
  const x = new Float64Array(D);
  for (let k = 0; k < idx.length; k++) {
    const o = idx[k] * R * D;
    let n = 0;
    for (let d = 0; d < D; d++) n += data[o + d] * data[o + d];
    n = Math.sqrt(n) || 1;
    for (let d = 0; d < D; d++) x[d] = data[o + d] / n;
    out[k] = mcmScore(x, P, tau);
  }
  return out;
}

/** k = ⌈q·n⌉ (with a tiny slack against 0.95·20 = 19.000000000000004), clamped to [1, n]. */
function passCount(n: number, q: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
}

/**
 * The threshold λ that lets the share q of the given ID scores pass (S ≥ λ): the ⌈q·n⌉-th
 * largest score (see the module comment). Throws on an empty or non-finite set.
 */
export function passThreshold(idScores: ArrayLike<number>, q = OOD_PASS_RATE): number {
  const n = idScores.length;
  if (n === 0) throw new Error('the OOD threshold needs at least one held-out in-distribution image');
  if (!(q > 0 && q <= 1)) throw new Error(`pass rate ${q} is not in (0, 1]`);
  const s = Float64Array.from(idScores);
  if (s.some((v) => !Number.isFinite(v))) throw new Error('an OOD score is not a finite number');
  s.sort();
  return s[n - passCount(n, q)];
}

/** Share of scores ≥ λ (TPR on ID scores, FPR on OOD scores). */
export function passRate(scores: ArrayLike<number>, threshold: number): number {
  if (scores.length === 0) return NaN;
  let k = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= threshold) k++;
  return k / scores.length;
}

/** AUROC with ID as the positive class; ties count ½. O((n+m) log(n+m)). */
export function auroc(idScores: ArrayLike<number>, oodScores: ArrayLike<number>): number {
  const n = idScores.length;
  const m = oodScores.length;
  if (n === 0 || m === 0) return NaN;
  const ood = Float64Array.from(oodScores).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = idScores[i];
    const below = lowerBound(ood, v);
    const upTo = upperBound(ood, v);
    sum += below + 0.5 * (upTo - below);
  }
  return sum / (n * m);
}

/** FPR at 95 % TPR (METHODS §8): λ = passThreshold(ID, 0.95), FPR = share of OOD ≥ λ. */
export function fprAtTpr(idScores: ArrayLike<number>, oodScores: ArrayLike<number>, tpr = OOD_PASS_RATE): number {
  if (idScores.length === 0 || oodScores.length === 0) return NaN;
  return passRate(oodScores, passThreshold(idScores, tpr));
}

function lowerBound(a: Float64Array, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: Float64Array, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Interval {
  value: number;
  lo: number;
  hi: number;
}

export interface OodEvaluation {
  auroc: Interval;
  fpr95: Interval;
  nId: number;
  nOod: number;
  /** Bootstrap resamples used for the CIs. */
  resamples: number;
}

/**
 * AUROC and FPR95 with percentile bootstrap CIs (95 %): ID and OOD scores are resampled
 * separately with replacement (stratified), `resamples` times, from a seeded generator.
 */
export function evaluateOod(idScores: ArrayLike<number>, oodScores: ArrayLike<number>, options: { resamples?: number; seed?: number; level?: number } = {}): OodEvaluation {
  const B = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const rng = mulberry32(options.seed ?? 0);
  const n = idScores.length, m = oodScores.length;
  const a = new Float64Array(B), f = new Float64Array(B);
  const id = new Float64Array(n), ood = new Float64Array(m);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) id[i] = idScores[Math.floor(rng() * n)];
    for (let i = 0; i < m; i++) ood[i] = oodScores[Math.floor(rng() * m)];
    a[b] = auroc(id, ood);
    f[b] = fprAtTpr(id, ood);
  }
  const ci = (v: number, s: Float64Array): Interval => {
    if (!(B > 0) || Number.isNaN(v)) return { value: v, lo: v, hi: v };
    s.sort();
    const q = (p: number) => s[Math.min(B - 1, Math.max(0, Math.floor(p * B)))];
    return { value: v, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) };
  };
  return { auroc: ci(auroc(idScores, oodScores), a), fpr95: ci(fprAtTpr(idScores, oodScores), f), nId: n, nOod: m, resamples: B };
}
