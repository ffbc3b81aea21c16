/**
 * The unfamiliar-image flag (METHODS §8) for the studio: both MCM scores of every image (class
 * prompts; the student's own prototypes, which follow every edit), the default threshold (95 %
 * of held-out in-distribution images pass, core/ood's rule), and the ID-vs-OOD evaluation the
 * Performance panel shows (ID = held-out split, OOD = the dataset's 'ood' set when it has one).
 * Scores are cached per (dataset arrays, student), so a redraw costs nothing.
 */
import type { OodScoreKind, OodSettings, Session } from '../core/project/index.ts';
import { evaluateOod, MCM_TAU, mcmScores, OOD_PASS_RATE, passThreshold, studentPrototypes, type OodEvaluation } from '../core/ood/index.ts';
import type { Dataset } from './types.ts';
import { calibratedStudentScores, joinDomains } from '../core/calibration/index.ts';
import { domainPosteriors } from './domain.ts';

/** Whether the dataset can be scored: image embeddings plus class prompt / concept text embeddings of the same size. */
export function oodKinds(ds: Dataset | null): OodScoreKind[] {
  const e = ds?.imageEmbeddings;
  if (!ds || !e) return [];
  const out: OodScoreKind[] = [];
  if (ds.classText && ds.classText.cols === e.D && ds.classText.rows === ds.C) out.push('mcm');
  if (ds.conceptText && ds.conceptText.cols === e.D) out.push('mcm-student');
  return out;
}

const classCache = new WeakMap<object, Float64Array>();
const studentCache = new WeakMap<object, Float64Array>();
const calibratedCache = new WeakMap<object, WeakMap<object, Map<number, Float64Array>>>();

/**
 * S(x) of every image for one score kind under the session's head student; null if unavailable.
 * The student-prototype score follows the session's domain calibration (METHODS §8: under
 * calibration the student sees calibrated â, so its prototypes use each image's σ(x)).
 */
export function oodScores(ds: Dataset, session: Session | null, kind: OodScoreKind, tau = MCM_TAU): Float64Array | null {
  if (!oodKinds(ds).includes(kind)) return null;
  const e = ds.imageEmbeddings!;
  const imgs = { N: ds.N, R: e.R, D: e.D, data: e.data };
  if (kind === 'mcm') {
    const key = ds.classText!;
    let s = tau === MCM_TAU ? classCache.get(key) : undefined;
    if (!s) {
      s = mcmScores(imgs, ds.classText!, tau);
      if (tau === MCM_TAU) classCache.set(key, s);
    }
    return s;
  }
  const st = session?.state;
  const served = st?.ensemble?.served;
  const text = st?.conceptText ?? ds.conceptText;
  if (!served || !st?.stats || !text || text.rows !== served.M) return null;
  // Under domain calibration each image meets the student in its own standardisation (σ(x)),
  // so its prototypes are its own too (core/calibration/ood.ts).
  const dom = st.calibration.domain;
  const post = dom && dom.mode !== 'off' ? domainPosteriors(ds, dom) : null;
  if (dom && post) {
    const byDomain = calibratedCache.get(served) ?? new WeakMap<object, Map<number, Float64Array>>();
    calibratedCache.set(served, byDomain);
    const byTau = byDomain.get(dom) ?? new Map<number, Float64Array>();
    byDomain.set(dom, byTau);
    let c = byTau.get(tau);
    if (!c) byTau.set(tau, (c = calibratedStudentScores(imgs, served, text, post.pi, joinDomains(dom.domains), tau)));
    return c;
  }
  let s = tau === MCM_TAU ? studentCache.get(served) : undefined;
  if (!s) {
    s = mcmScores(imgs, studentPrototypes(served, text, st.stats), tau);
    if (tau === MCM_TAU) studentCache.set(served, s);
  }
  return s;
}

/** Rows of the ID images (held-out split) and the OOD images (the 'ood' set), or null when the dataset has none. */
export function oodRows(ds: Dataset): { id: Int32Array; ood: Int32Array | null } {
  const k = ds.sets?.names.indexOf('ood') ?? -1;
  if (k < 0 || !ds.sets) return { id: ds.split.heldOut, ood: null };
  const ood: number[] = [];
  ds.sets.of.forEach((s, i) => (s === k ? ood.push(i) : undefined));
  return { id: ds.split.heldOut, ood: ood.length ? Int32Array.from(ood) : null };
}

export const pick = (s: Float64Array, rows: ArrayLike<number>) => Float64Array.from(rows as ArrayLike<number>, (i) => s[i]);

/** The default settings: λ lets 95 % of the held-out (ID) images pass under `kind`. */
export function defaultOodSettings(ds: Dataset, session: Session | null, kind: OodScoreKind): OodSettings | null {
  const s = oodScores(ds, session, kind);
  if (!s || ds.split.heldOut.length === 0) return null;
  const id = pick(s, ds.split.heldOut);
  return { score: kind, tau: MCM_TAU, threshold: passThreshold(id, OOD_PASS_RATE), calibrationN: id.length };
}

/** Flag per image (1 = unfamiliar: score < λ) under the session's recorded OOD settings; null without. */
export function unfamiliarFlags(ds: Dataset, session: Session | null): Uint8Array | null {
  const o = session?.state.calibration.ood;
  if (!o) return null;
  const s = oodScores(ds, session, o.score, o.tau);
  if (!s) return null;
  return Uint8Array.from(s, (v) => (v < o.threshold ? 1 : 0));
}

const evalCache = new WeakMap<Float64Array, OodEvaluation>();

/** AUROC and FPR95 (bootstrap CIs, seed 0) of held-out ID vs the 'ood' set; null without an OOD set. */
export function oodEvaluation(ds: Dataset, scores: Float64Array): OodEvaluation | null {
  const r = oodRows(ds);
  if (!r.ood || r.id.length === 0) return null;
  let e = evalCache.get(scores);
  if (!e) {
    e = evaluateOod(pick(scores, r.id), pick(scores, r.ood), { resamples: 1000, seed: 0 });
    evalCache.set(scores, e);
  }
  return e;
}
