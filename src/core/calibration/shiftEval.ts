/**
 * How the served student holds up on a batch of shifted images (METHODS §8 shift simulator):
 * accuracy, fidelity and the share flagged as unfamiliar, with concept calibration off, with
 * source statistics, and with test-time statistics of the batch itself (when it has ≥ 30 images).
 *
 * Fidelity on a shifted image is agreement with a REFERENCE prediction the caller gives: in the
 * studio's simulator that is the teacher's answer on the same image before the corruption (the
 * teacher is not re-run on corrupted pixels), on a real shifted set the teacher's own answer.
 */
import type { ConceptStats, LinearModel, Mat } from '../types.ts';
import { conceptActivations, type RegionEmbeddings } from '../concepts/activations.ts';
import { standardise } from '../concepts/stats.ts';
import { mcmScore, mcmScores, studentPrototypes } from '../ood/ood.ts';
import { calibratedStandardise, domainPosterior, MIN_TEST_TIME_BATCH, mixStats, testTimeStats, type DomainConceptStats, type DomainMode } from './domain.ts';

export interface ShiftContext {
  student: LinearModel;
  /** Plain (§2) statistics of the distillation split. */
  stats: ConceptStats;
  /** M×D concept text embeddings. */
  conceptText: Mat;
  /** K×D domain prompt embeddings, their posterior temperature and the source statistics per domain. */
  domainText: Mat;
  temperature: number;
  source: DomainConceptStats;
  /** The OOD flag in force: score kind, τ and threshold λ (class prompts needed for 'mcm'). */
  ood?: { score: 'mcm' | 'mcm-student'; tau: number; threshold: number; classText?: Mat | null } | null;
}

export interface ShiftBatch {
  images: RegionEmbeddings;
  /** True class per image (−1 = unknown), or null. */
  labels?: ArrayLike<number> | null;
  /** Reference (teacher) class per image for fidelity, or null. */
  reference?: ArrayLike<number> | null;
}

export interface ModeResult {
  n: number;
  accuracy: number | null;
  fidelity: number | null;
  /** Share flagged as unfamiliar (score < λ), or null without an OOD flag. */
  flagged: number | null;
  pred: Int32Array;
}

export interface ShiftResult {
  off: ModeResult;
  source: ModeResult;
  /** Null when the batch is too small for test-time statistics (`note` says why). */
  testTime: ModeResult | null;
  note: string | null;
}

function predict(ahat: Mat, s: LinearModel): Int32Array {
  const { C, M, W, b } = s;
  const out = new Int32Array(ahat.rows);
  for (let i = 0; i < ahat.rows; i++) {
    let best = 0;
    let bestZ = -Infinity;
    for (let c = 0; c < C; c++) {
      let z = b[c];
      for (let j = 0; j < M; j++) z += W[c * M + j] * ahat.data[i * M + j];
      if (z > bestZ) {
        bestZ = z;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

function agreement(pred: Int32Array, ref: ArrayLike<number> | null | undefined): number | null {
  if (!ref) return null;
  let n = 0;
  let k = 0;
  for (let i = 0; i < pred.length; i++) {
    if (ref[i] < 0) continue;
    n++;
    if (ref[i] === pred[i]) k++;
  }
  return n ? k / n : null;
}

/** Unit full-image row of image i. */
function fullRow(images: RegionEmbeddings, i: number): Float64Array {
  const { R, D, data } = images;
  const x = new Float64Array(D);
  let n = 0;
  for (let d = 0; d < D; d++) n += data[i * R * D + d] ** 2;
  n = Math.sqrt(n) || 1;
  for (let d = 0; d < D; d++) x[d] = data[i * R * D + d] / n;
  return x;
}

/**
 * OOD scores under a calibration: the class-prompt score ignores concept statistics; the
 * student-prototype score uses each image's own σ(x) when calibration is on (p_c = Σ_j w_cj/σ_j(x) t_j).
 */
function oodFlags(ctx: ShiftContext, images: RegionEmbeddings, pi: Mat | null, domains: DomainConceptStats | null): number | null {
  const o = ctx.ood;
  if (!o) return null;
  let scores: Float64Array;
  if (o.score === 'mcm') {
    if (!o.classText) return null;
    scores = mcmScores(images, o.classText, o.tau);
  } else if (!pi || !domains) scores = mcmScores(images, studentPrototypes(ctx.student, ctx.conceptText, ctx.stats), o.tau);
  else {
    scores = new Float64Array(images.N);
    for (let i = 0; i < images.N; i++) {
      const st = mixStats(pi.data.subarray(i * pi.cols, (i + 1) * pi.cols), domains);
      scores[i] = mcmScore(fullRow(images, i), studentPrototypes(ctx.student, ctx.conceptText, st), o.tau);
    }
  }
  let k = 0;
  for (const s of scores) if (s < o.threshold) k++;
  return images.N ? k / images.N : null;
}

/** Evaluate one batch of shifted images under the three calibration modes. */
export function evaluateShiftBatch(ctx: ShiftContext, batch: ShiftBatch): ShiftResult {
  const imgs = batch.images;
  const A = conceptActivations(imgs, ctx.conceptText);
  const pi = domainPosterior(imgs, ctx.domainText, ctx.temperature);
  const result = (ahat: Mat, p: Mat | null, d: DomainConceptStats | null): ModeResult => {
    const pred = predict(ahat, ctx.student);
    return { n: imgs.N, pred, accuracy: agreement(pred, batch.labels), fidelity: agreement(pred, batch.reference), flagged: oodFlags(ctx, imgs, p, d) };
  };
  const off = result(standardise(A, ctx.stats), null, null);
  const source = result(calibratedStandardise(A, pi, ctx.source), pi, ctx.source);
  if (imgs.N < MIN_TEST_TIME_BATCH) {
    return { off, source, testTime: null, note: `test-time statistics need at least ${MIN_TEST_TIME_BATCH} images; this batch has ${imgs.N}` };
  }
  const all = Int32Array.from({ length: imgs.N }, (_, i) => i);
  const tt = testTimeStats(A, pi, all, ctx.source);
  return { off, source, testTime: result(calibratedStandardise(A, pi, tt), pi, tt), note: null };
}

/** The mode's result, for tables keyed by mode. */
export function modeResult(r: ShiftResult, mode: DomainMode): ModeResult | null {
  return mode === 'off' ? r.off : mode === 'source' ? r.source : r.testTime;
}
