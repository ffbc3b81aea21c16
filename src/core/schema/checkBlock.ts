/**
 * The export's check block (METHODS.md §9): for a few reference images, the outputs the studio
 * computed (activations, standardised activations, logits, prediction, OOD score), so anyone
 * re-implementing the predictor from the file alone can prove they agree. `verifyCheckBlock`
 * recomputes them from a parsed file: the import path uses it to reject inconsistent files.
 */

import type { ConceptStats, LinearModel, Mat } from '../types.ts';
import { domainPosterior, domainTextMatrix, joinDomains, mixStats } from '../calibration/domain.ts';
import { conceptActivations, normaliseRows, type RegionEmbeddings } from '../concepts/activations.ts';
import { SIGMA_FLOOR } from '../concepts/stats.ts';
import { mcmScore, studentPrototypes } from '../ood/ood.ts';
import { encodeF32, decodeF32, shortestFloat32 } from './numbers.ts';
import { regionCount, type CheckImage, type StudentExportV1 } from './exportV1.ts';

/** OOD settings the check needs: the score kind and its temperature. */
export interface CheckOod {
  score: 'mcm' | 'mcm-student';
  tau: number;
}

/** Domain calibration the check needs (METHODS §8): per-domain μ/σ mixed by the posterior π. */
export interface CheckDomain {
  mode: 'off' | 'source' | 'test-time';
  temperature: number;
  domains: { textEmbedding: Float32Array; mu: Float32Array; sigma: Float32Array }[];
}

/**
 * Inputs of the check. The check starts EITHER from images (`images`: region embeddings, with
 * `conceptText`) OR, for an activation-only student, from raw activations (`activations`: K×M
 * a_j, no embeddings anywhere; then there is no OOD score and no domain calibration).
 */
export interface CheckInput {
  /** The served student. */
  student: LinearModel;
  /** Concept text embeddings, M×D; required with `images`, unused with `activations`. */
  conceptText?: Mat | null;
  stats: ConceptStats;
  /** N×R×D region embeddings, region 0 = the full image. */
  images?: RegionEmbeddings | null;
  /** K×M raw activations a_j (activation-only students). */
  activations?: Mat | null;
  ids?: string[];
  ood?: CheckOod | null;
  /** Class prompt embeddings C×D (needed for the 'mcm' score). */
  classText?: Mat | null;
  domain?: CheckDomain | null;
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s = 0;
  for (let d = 0; d < n; d++) s += a[ao + d] * b[bo + d];
  return s;
}

/** The full-image row of image i, L2-normalised. */
function fullImage(images: RegionEmbeddings, i: number): Float32Array {
  const { R, D, data } = images;
  return normaliseRows({ rows: 1, cols: D, data: data.slice(i * R * D, i * R * D + D) }).data;
}

// The OOD score lives in core/ood (one implementation); re-exported for the schema's users.
export { studentPrototypes, mcmScore };

/**
 * Per-image μ, σ under domain calibration: π = softmax(cos(x, t_d) / temperature),
 * μ_j(x) = Σ_d π_d μ_jd, σ likewise (floored); core/calibration's functions. With mode 'off' the global stats are used.
 */
function statsFor(x: Float32Array, stats: ConceptStats, domain: CheckDomain | null | undefined): ConceptStats {
  if (!domain || domain.mode === 'off' || domain.domains.length === 0) return stats;
  const D = x.length;
  const text = domainTextMatrix(domain.domains, D);
  const pi = domainPosterior({ N: 1, R: 1, D, data: x }, text, domain.temperature).data;
  return mixStats(pi, joinDomains(domain.domains));
}

/** â, z and the argmax for one image's raw activations a (shared by both check inputs). */
function outputsOf(a: Float32Array, st: ConceptStats, student: LinearModel): Pick<CheckImage, 'activations' | 'standardized' | 'logits' | 'prediction'> {
  const { C, M } = student;
  const ahat = new Float32Array(M);
  for (let j = 0; j < M; j++) ahat[j] = (a[j] - st.mu[j]) / Math.max(SIGMA_FLOOR, st.sigma[j]);
  const z = new Float32Array(C);
  let pred = 0;
  for (let c = 0; c < C; c++) {
    z[c] = dot(ahat, 0, student.W, c * M, M) + student.b[c];
    if (z[c] > z[pred]) pred = c;
  }
  return { activations: encodeF32(a), standardized: encodeF32(ahat), logits: encodeF32(z), prediction: pred };
}

/** Compute the check block for the given reference images or raw activations (outputs encoded for JSON). */
export function computeCheckBlock(input: CheckInput): CheckImage[] {
  const { student, images, activations } = input;
  const { M } = student;
  if (!images === !activations) throw new Error('the check block starts from either images (region embeddings) or raw activations: give exactly one');
  if (activations) return checkFromActivations(input, activations);
  const conceptText = input.conceptText;
  if (!conceptText) throw new Error('a check from images needs the concept text embeddings');
  if (conceptText.rows !== M) throw new Error(`concept text embeddings have ${conceptText.rows} rows, the student has ${M} concepts`);
  const imgs = images!;
  const A = conceptActivations(imgs, conceptText).data;
  let protos: Mat | null = null;
  if (input.ood?.score === 'mcm-student') protos = studentPrototypes(student, conceptText, input.stats);
  else if (input.ood?.score === 'mcm') {
    if (!input.classText) throw new Error("the 'mcm' OOD score needs class text embeddings");
    protos = input.classText;
  }
  const out: CheckImage[] = [];
  for (let i = 0; i < imgs.N; i++) {
    const x = fullImage(imgs, i);
    const st = statsFor(x, input.stats, input.domain);
    // Under domain calibration the student's prototypes use the image's own σ(x), as the studio's score does.
    const own = protos && input.ood?.score === 'mcm-student' && st !== input.stats ? studentPrototypes(student, conceptText, st) : protos;
    const img: CheckImage = {
      embeddings: encodeF32(imgs.data.subarray(i * imgs.R * imgs.D, (i + 1) * imgs.R * imgs.D)),
      ...outputsOf(A.subarray(i * M, (i + 1) * M), st, student),
      oodScore: own && input.ood ? shortestFloat32(mcmScore(x, own, input.ood.tau)) : null,
    };
    if (input.ids?.[i] !== undefined) img.id = input.ids[i];
    out.push(img);
  }
  return out;
}

/** Activation-only check: a is given, so no embeddings, no OOD score, no domain calibration. */
function checkFromActivations(input: CheckInput, A: Mat): CheckImage[] {
  const { student } = input;
  if (A.cols !== student.M) throw new Error(`check activations have ${A.cols} columns, the student has ${student.M} concepts`);
  if (input.ood) throw new Error('an OOD score needs image embeddings; a check from raw activations has none');
  if (input.domain && input.domain.mode !== 'off' && input.domain.domains.length > 0) {
    throw new Error('domain calibration needs image embeddings; a check from raw activations has none');
  }
  const out: CheckImage[] = [];
  for (let i = 0; i < A.rows; i++) {
    const img: CheckImage = { ...outputsOf(A.data.subarray(i * A.cols, (i + 1) * A.cols), input.stats, student), oodScore: null };
    if (input.ids?.[i] !== undefined) img.id = input.ids[i];
    out.push(img);
  }
  return out;
}

/**
 * Recompute the check block of a parsed file from the file alone (no outputs trusted): from
 * each image's embeddings, or, in an activation-only file (model.embeddingDim null), from each
 * image's raw `activations` (which are then the check's input and come back unchanged).
 */
export function recomputeCheckBlock(doc: StudentExportV1): CheckImage[] {
  const C = doc.classes.length;
  const M = doc.concepts.length;
  const D = doc.model.embeddingDim;
  const R = regionCount(doc.regions.grid);
  const imgs = doc.check.images;
  const student = { W: decodeF32(doc.student.W), b: decodeF32(doc.student.b), C, M };
  const stats = { mu: decodeF32(doc.concepts.map((c) => c.mu)), sigma: decodeF32(doc.concepts.map((c) => c.sigma)) };
  if (D === null) {
    return computeCheckBlock({ student, stats, activations: { rows: imgs.length, cols: M, data: decodeF32(imgs.flatMap((im) => im.activations)) } });
  }
  return computeCheckBlock({
    student,
    conceptText: { rows: M, cols: D, data: decodeF32(doc.concepts.flatMap((c) => c.textEmbedding ?? [])) },
    stats,
    images: { N: imgs.length, R, D, data: decodeF32(imgs.flatMap((im) => im.embeddings ?? [])) },
    ood: doc.ood ?? null,
    classText: doc.ood?.score === 'mcm' ? { rows: C, cols: D, data: decodeF32(doc.classes.flatMap((c) => c.textEmbedding ?? [])) } : null,
    domain: doc.domain
      ? { ...doc.domain, domains: doc.domain.domains.map((d) => ({ textEmbedding: decodeF32(d.textEmbedding), mu: decodeF32(d.mu), sigma: decodeF32(d.sigma) })) }
      : null,
  });
}

/** Default tolerance: float32 pipelines in other languages differ in the last digits. */
export const CHECK_TOLERANCE = 1e-3;

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

/**
 * The first disagreement between the file's check block and what its own numbers give, as one
 * message with its path, or null. Sizes must already be validated (validate.ts).
 */
export function verifyCheckBlock(doc: StudentExportV1, tol = CHECK_TOLERANCE): string | null {
  const mine = recomputeCheckBlock(doc);
  for (let i = 0; i < mine.length; i++) {
    const f = doc.check.images[i];
    const m = mine[i];
    const p = `check.images[${i}]`;
    for (const key of ['activations', 'standardized', 'logits'] as const) {
      for (let k = 0; k < m[key].length; k++) {
        if (!close(f[key][k], m[key][k], tol)) {
          return `${p}.${key}[${k}]: the file says ${f[key][k]} but its own weights and embeddings give ${m[key][k]}`;
        }
      }
    }
    // A different argmax is only wrong if the two logits are not within tolerance (a tie).
    if (f.prediction !== m.prediction && !close(m.logits[f.prediction], m.logits[m.prediction], tol)) {
      return `${p}.prediction: the file says class ${f.prediction} but its logits give class ${m.prediction}`;
    }
    if ((f.oodScore === null) !== (m.oodScore === null)) {
      return `${p}.oodScore: ${f.oodScore === null ? 'missing although the file has an OOD block' : 'present although the file has no OOD block'}`;
    }
    if (f.oodScore !== null && m.oodScore !== null && !close(f.oodScore, m.oodScore, tol)) {
      return `${p}.oodScore: the file says ${f.oodScore} but its own numbers give ${m.oodScore}`;
    }
  }
  return null;
}
