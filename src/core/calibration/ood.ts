/**
 * The student-prototype OOD score (METHODS §8) in the calibrated concept space. With raw concept
 * cosines the linear student is the set of prototypes p_c = normalise(Σ_j (w_cj / σ_j) t_j); under
 * domain calibration every image is standardised with its own σ_j(x) = Σ_d π_d(x) σ_jd, so the
 * student an image meets — and the prototypes its score compares it with — are its own:
 *
 *     p_c(x) = normalise(Σ_j (w_cj / σ_j(x)) t_j),   S(x) = max_c softmax_c(cos(x, p_c(x)) / τ)
 *
 * (μ(x) only shifts the logits' offsets, which prototypes do not carry.) With calibration off,
 * or one domain whose statistics are the plain ones, this is exactly core/ood's mcmScores with
 * studentPrototypes. Cost: C·(non-zero weights)·D per image.
 */
import type { LinearModel, Mat } from '../types.ts';
import { softmax } from '../math/linalg.ts';
import { normaliseRows, type RegionEmbeddings } from '../concepts/activations.ts';
import { SIGMA_FLOOR } from '../concepts/stats.ts';
import { DomainCalibrationError, type DomainConceptStats } from './domain.ts';

/**
 * S(x) of the given images (default all; region 0 = the full image is used, normalised) against
 * their own calibrated student prototypes. `pi` holds one posterior row per scored image, in order.
 */
export function calibratedStudentScores(
  images: RegionEmbeddings, student: LinearModel, conceptText: Mat, pi: Mat, domains: DomainConceptStats, tau: number, rows?: ArrayLike<number>,
): Float64Array {
  const { C, M, W } = student;
  const { R, D, data } = images;
  const n = rows ? rows.length : images.N;
  if (conceptText.rows !== M) throw new DomainCalibrationError(`concept text embeddings have ${conceptText.rows} rows, the student has ${M} concepts`);
  if (conceptText.cols !== D) throw new DomainCalibrationError(`concept text embeddings have ${conceptText.cols} dimensions, the images ${D}`);
  if (domains.M !== M) throw new DomainCalibrationError(`domain statistics are for ${domains.M} concepts, the student has ${M}`);
  if (pi.rows !== n || pi.cols !== domains.K) throw new DomainCalibrationError(`the posterior is ${pi.rows}×${pi.cols}, expected ${n}×${domains.K}`);
  const T = normaliseRows(conceptText).data;
  // Non-zero weights per class: a sparse student costs only what it uses.
  const used: Int32Array[] = [];
  for (let c = 0; c < C; c++) {
    const js: number[] = [];
    for (let j = 0; j < M; j++) if (W[c * M + j] !== 0) js.push(j);
    used.push(Int32Array.from(js));
  }
  const K = domains.K;
  const out = new Float64Array(n);
  const x = new Float64Array(D);
  const p = new Float64Array(D);
  const cos = new Float64Array(C);
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    const o = i * R * D;
    let norm = 0;
    for (let d = 0; d < D; d++) norm += data[o + d] * data[o + d];
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < D; d++) x[d] = data[o + d] / norm;
    for (let c = 0; c < C; c++) {
      p.fill(0);
      for (const j of used[c]) {
        let s = 0;
        for (let e = 0; e < K; e++) s += pi.data[k * K + e] * domains.sigma[e * M + j];
        const g = W[c * M + j] / Math.max(SIGMA_FLOOR, s);
        for (let d = 0; d < D; d++) p[d] += g * T[j * D + d];
      }
      let pn = 0, dot = 0;
      for (let d = 0; d < D; d++) {
        pn += p[d] * p[d];
        dot += x[d] * p[d];
      }
      // A class without weights has no prototype: cosine 0, as normalising a zero vector gives.
      cos[c] = pn > 0 ? dot / Math.sqrt(pn) : 0;
    }
    const sm = softmax(cos, tau);
    let m = 0;
    for (let c = 0; c < C; c++) m = Math.max(m, sm[c]);
    out[k] = m;
  }
  return out;
}
