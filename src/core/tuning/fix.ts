/**
 * One-image fix (METHODS.md §5, optional helper): image i is predicted p but should be g. The
 * smallest symmetric edit through concept j adds Δ to w_gj and subtracts it from w_pj, with
 *
 *     Δ = (z_ip − z_ig + m) / (2·â_ij),   m = 0.2,
 *
 * which moves z_ig up and z_ip down by the same (z_ip − z_ig + m)/2, leaving g ahead of p by
 * exactly m. Other classes are untouched, so g wins only if no third class is above z_ig + Δ·â_ij:
 * the result says so (`winsAfter`) instead of pretending the image is fixed.
 */
import type { LinearModel } from '../types.ts';

export const DEFAULT_FIX_MARGIN = 0.2;

export interface SymmetricFix {
  concept: number;
  /** Added to w_gj, subtracted from w_pj. */
  delta: number;
  predicted: number;
  wanted: number;
  /** New w_gj and w_pj. */
  newWanted: number;
  newPredicted: number;
  /** Whether g is the argmax after the edit (a third class may still lead). */
  winsAfter: boolean;
}

/**
 * The symmetric fix of one image through one concept. `z` are the image's C logits, `aHat` its
 * M standardised activations. Returns null when â_ij = 0 (the concept cannot move this image).
 */
export function symmetricFix(
  model: LinearModel,
  z: ArrayLike<number>,
  aHat: ArrayLike<number>,
  predicted: number,
  wanted: number,
  concept: number,
  margin = DEFAULT_FIX_MARGIN,
): SymmetricFix | null {
  const { C, M, W } = model;
  if (z.length !== C || aHat.length !== M) throw new Error(`expected ${C} logits and ${M} activations, got ${z.length} and ${aHat.length}`);
  if (predicted === wanted) throw new Error('the image is already predicted as the wanted class');
  for (const c of [predicted, wanted]) if (!(c >= 0 && c < C)) throw new Error(`class ${c} is outside 0..${C - 1}`);
  if (!(concept >= 0 && concept < M)) throw new Error(`concept ${concept} is outside 0..${M - 1}`);
  const a = aHat[concept];
  if (a === 0) return null;
  const delta = (z[predicted] - z[wanted] + margin) / (2 * a);
  const zg = z[wanted] + delta * a;
  let winsAfter = true;
  for (let c = 0; c < C; c++) {
    if (c === wanted) continue;
    const zc = c === predicted ? z[c] - delta * a : z[c];
    // Ties go to the lower index, as in argmaxRows.
    if (zc > zg || (zc === zg && c < wanted)) winsAfter = false;
  }
  return {
    concept,
    delta,
    predicted,
    wanted,
    newWanted: W[wanted * M + concept] + delta,
    newPredicted: W[predicted * M + concept] - delta,
    winsAfter,
  };
}

/**
 * The fix through every concept, smallest |Δ| first (the least intrusive edit is the best
 * suggestion); concepts with â_ij = 0 are skipped. Fixes that leave a third class ahead are
 * kept but sorted after those that work.
 */
export function rankSymmetricFixes(
  model: LinearModel,
  z: ArrayLike<number>,
  aHat: ArrayLike<number>,
  predicted: number,
  wanted: number,
  margin = DEFAULT_FIX_MARGIN,
): SymmetricFix[] {
  const out: SymmetricFix[] = [];
  for (let j = 0; j < model.M; j++) {
    const f = symmetricFix(model, z, aHat, predicted, wanted, j, margin);
    if (f) out.push(f);
  }
  return out.sort((x, y) => Number(y.winsAfter) - Number(x.winsAfter) || Math.abs(x.delta) - Math.abs(y.delta) || x.concept - y.concept);
}
