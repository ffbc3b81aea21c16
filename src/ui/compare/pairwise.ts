/** Pairwise decompositions (METHODS.md §6) by core/explain, and their plain sentences. */
import type { LinearModel } from '../../core/types.ts';
import { explainClassPair, explainImagePair } from '../../core/explain/pairwise.ts';
import type { Dataset, TuneProposal } from '../../state/types.ts';

export interface Term { j: number; value: number; }

const rowOf = (ds: Dataset, i: number) => ds.ahat.subarray(i * ds.M, (i + 1) * ds.M);

/** z_c(a) − z_c(b) = Σ_j w_cj (â_aj − â_bj): terms sorted by magnitude. */
export function imagePairTerms(ds: Dataset, model: LinearModel, a: number, b: number, c: number): Term[] {
  return explainImagePair(model, rowOf(ds, a), rowOf(ds, b), c).terms.map((t) => ({ j: t.concept, value: t.value }));
}

/** z_c1(a) − z_c2(a) = Σ_j (w_c1j − w_c2j) â_aj + (b_c1 − b_c2). */
export function classPairTerms(ds: Dataset, model: LinearModel, a: number, c1: number, c2: number): Term[] {
  return explainClassPair(model, rowOf(ds, a), c1, c2).terms.map((t) => ({ j: t.concept, value: t.value }));
}

const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;

export function imagePairSentence(ds: Dataset, a: number, b: number, c: number, t: Term): string {
  const more = ds.ahat[a * ds.M + t.j] >= ds.ahat[b * ds.M + t.j];
  const concept = ds.concepts[t.j];
  const first = more ? `A shows more ${concept} than B` : `A shows less ${concept} than B`;
  const effect = t.value >= 0 ? `which makes A look more “${ds.classes[c]}”` : `which makes A look less “${ds.classes[c]}”`;
  return `${first}, ${effect} (${signed(t.value)}).`;
}

export function classPairSentence(ds: Dataset, a: number, c1: number, c2: number, t: Term): string {
  const concept = ds.concepts[t.j];
  const level = ds.ahat[a * ds.M + t.j] >= 0 ? 'shows' : 'lacks';
  const favours = t.value >= 0 ? ds.classes[c1] : ds.classes[c2];
  return `A ${level} ${concept}, which favours “${favours}” (${signed(t.value)}).`;
}

/**
 * Turn the top difference into a tuning step that moves the student towards the teacher:
 * weaken the concept that pushes a misaligned image to its wrong class, else strengthen the one
 * that supports a correct decision.
 */
export function proposeStep(ds: Dataset, model: LinearModel, pred: Int32Array, mode: 'images' | 'classes', a: number, terms: Term[], c: number, c2: number, factor: number): TuneProposal | null {
  const misaligned = pred[a] !== ds.teacherPred[a];
  const name = (j: number) => ds.concepts[j];
  if (mode === 'classes') {
    const pro = terms.find((t) => t.value > 0);
    if (!pro) return null;
    const j = pro.j;
    const wc = model.W[c * ds.M + j];
    if (misaligned && pred[a] === c) {
      return { kind: 'downtune', cls: c, concept: j, factor,
        reason: `“${name(j)}” is the largest push of A towards “${ds.classes[c]}”, but the teacher says “${ds.classes[ds.teacherPred[a]]}”.` };
    }
    return { kind: wc >= 0 ? 'uptune' : 'downtune', cls: c, concept: j, factor,
      reason: `“${name(j)}” is the largest reason A is “${ds.classes[c]}” rather than “${ds.classes[c2]}”; make it count more.` };
  }
  const top = terms[0];
  if (!top || top.value === 0) return null;
  if (misaligned && pred[a] === c) {
    const pro = terms.find((t) => t.value > 0);
    if (!pro) return null;
    return { kind: 'downtune', cls: c, concept: pro.j, factor,
      reason: `A is misaligned (student “${ds.classes[c]}”, teacher “${ds.classes[ds.teacherPred[a]]}”); “${name(pro.j)}” is the largest push of A towards “${ds.classes[c]}” compared with B.` };
  }
  return { kind: 'uptune', cls: c, concept: top.j, factor,
    reason: `“${name(top.j)}” is the largest difference between A and B for “${ds.classes[c]}”; make it count more.` };
}
