/**
 * Concept corpus hygiene (METHODS.md §2). Four checks, applied in this order, each concept
 * getting at most one (the first) reason to go:
 *
 *  1. `duplicate-name`: same name after folding case and whitespace; the earlier index stays.
 *  2. `class-leak`: text cosine with a class name's embedding above `classCosine` (0.85): such a
 *     concept leaks the answer into the bottleneck.
 *  3. `near-duplicate`: text cosine with an earlier *kept* concept above `mergeCosine` (0.9);
 *     it is merged into (i.e. represented by) the earliest such concept. Keeping the earlier
 *     index makes the result independent of anything but the corpus order, which the user sees.
 *  4. `never-fires`: mean of its top-5 raw activations below the given percentile (10th) of the
 *     top-5 means of *all* concepts of the corpus. The cut-off uses the whole corpus (not only
 *     the survivors of 1–3) so that it does not move when the user undoes another drop.
 *
 * Concepts and classes are referred to by index; names only feed the first check and the UI.
 * Undo is {@link applyHygieneOverrides}: the result is never mutated, the user's choices are
 * layered on top, so every drop stays visible and reversible.
 */
import type { Mat } from '../types.ts';
import { normaliseRows } from './activations.ts';

export type HygieneDrop =
  | { kind: 'empty-name'; concept: number }
  | { kind: 'duplicate-name'; concept: number; other: number; name: string }
  | { kind: 'class-leak'; concept: number; classIndex: number; cosine: number; threshold: number }
  | { kind: 'near-duplicate'; concept: number; other: number; cosine: number; threshold: number }
  | { kind: 'never-fires'; concept: number; top5Mean: number; cutoff: number; percentile: number };

export type HygieneDropKind = HygieneDrop['kind'];

export interface HygieneInput {
  /** M concept names (only used for the duplicate-name check). */
  names: readonly string[];
  /** M×D concept text embeddings (normalised here defensively). */
  conceptEmbeddings: Mat;
  /** C×D class-name text embeddings; without them the class-leak check is skipped. */
  classEmbeddings?: Mat;
  /** N×M raw activations a_ij; without them the never-fires check is skipped. */
  activations?: Mat;
}

export interface HygieneOptions {
  /** Drop a concept whose text cosine with a class name exceeds this (default 0.85). */
  classCosine?: number;
  /** Merge concepts whose text cosine exceeds this (default 0.9). */
  mergeCosine?: number;
  /** How many top activations to average for the never-fires check (default 5). */
  topK?: number;
  /** Percentile (0–100) of all concepts' top-k means used as the cut-off (default 10). */
  firePercentile?: number;
}

export interface HygieneResult {
  /** Number of concepts in the input corpus. */
  M: number;
  /** Indices of the concepts kept, ascending. */
  kept: number[];
  /** One entry per dropped concept, ascending by concept index. */
  dropped: HygieneDrop[];
  /** Per concept: mean of its top-k activations (NaN without activations), for the UI. */
  topMeans: Float32Array;
  /** The never-fires cut-off actually used (NaN without activations). */
  fireCutoff: number;
}

/** The user's corrections on top of a hygiene result: indices to force in or out. */
export interface HygieneOverrides {
  include?: readonly number[];
  exclude?: readonly number[];
}

/** Fold a concept name for duplicate detection: Unicode NFKC, trimmed, inner whitespace collapsed, lower case. */
export function foldName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Percentile (0–100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: ArrayLike<number>, p: number): number {
  const v = Float64Array.from(values).sort();
  if (v.length === 0) return NaN;
  const pos = (Math.min(100, Math.max(0, p)) / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(v.length - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/**
 * Mean of the k largest values of each column of A (N×M); with fewer than k rows, the mean of
 * all rows. A per-column insertion buffer keeps this O(N·M·k) without sorting columns.
 */
export function topKMeans(A: Mat, k = 5): Float32Array {
  const { rows: N, cols: M, data } = A;
  const K = Math.max(1, Math.min(k, N));
  const out = new Float32Array(M);
  if (N === 0) return out.fill(NaN);
  // top[j*K + t] holds column j's current top values in descending order.
  const top = new Float64Array(M * K).fill(-Infinity);
  for (let i = 0; i < N; i++) {
    const o = i * M;
    for (let j = 0; j < M; j++) {
      const v = data[o + j];
      const b = j * K;
      if (v <= top[b + K - 1]) continue;
      let t = K - 1;
      while (t > 0 && top[b + t - 1] < v) {
        top[b + t] = top[b + t - 1];
        t--;
      }
      top[b + t] = v;
    }
  }
  for (let j = 0; j < M; j++) {
    let s = 0;
    for (let t = 0; t < K; t++) s += top[j * K + t];
    out[j] = s / K;
  }
  return out;
}

function rowDot(A: Float32Array, i: number, B: Float32Array, j: number, D: number): number {
  let s = 0;
  const a = i * D;
  const b = j * D;
  for (let d = 0; d < D; d++) s += A[a + d] * B[b + d];
  return s;
}

/** Run the four hygiene checks; see the module comment for their order and tie rules. */
export function conceptHygiene(input: HygieneInput, options: HygieneOptions = {}): HygieneResult {
  const { names, conceptEmbeddings, classEmbeddings, activations } = input;
  const M = names.length;
  const classCosine = options.classCosine ?? 0.85;
  const mergeCosine = options.mergeCosine ?? 0.9;
  const topK = options.topK ?? 5;
  const firePercentile = options.firePercentile ?? 10;
  if (conceptEmbeddings.rows !== M) {
    throw new Error(`${M} concept names but ${conceptEmbeddings.rows} concept embeddings`);
  }
  const D = conceptEmbeddings.cols;
  if (classEmbeddings && classEmbeddings.cols !== D) {
    throw new Error(`class embeddings have ${classEmbeddings.cols} dims but concept embeddings have ${D}`);
  }
  if (activations && activations.cols !== M) {
    throw new Error(`activations have ${activations.cols} concepts but the corpus has ${M}`);
  }

  const dropped: (HygieneDrop | null)[] = new Array(M).fill(null);
  const T = normaliseRows(conceptEmbeddings).data;

  // 1. Names: the first occurrence of a folded name owns it.
  const owner = new Map<string, number>();
  for (let j = 0; j < M; j++) {
    const key = foldName(names[j]);
    if (key === '') {
      dropped[j] = { kind: 'empty-name', concept: j };
      continue;
    }
    const o = owner.get(key);
    if (o === undefined) owner.set(key, j);
    else dropped[j] = { kind: 'duplicate-name', concept: j, other: o, name: key };
  }

  // 2. Class leaks: report the class with the highest cosine.
  if (classEmbeddings) {
    const Cm = normaliseRows(classEmbeddings).data;
    for (let j = 0; j < M; j++) {
      if (dropped[j]) continue;
      let best = -Infinity;
      let bestC = -1;
      for (let c = 0; c < classEmbeddings.rows; c++) {
        const cos = rowDot(T, j, Cm, c, D);
        if (cos > best) {
          best = cos;
          bestC = c;
        }
      }
      if (bestC >= 0 && best > classCosine) {
        dropped[j] = { kind: 'class-leak', concept: j, classIndex: bestC, cosine: best, threshold: classCosine };
      }
    }
  }

  // 3. Near-duplicates: compare only with concepts kept so far, so a merged concept never
  // represents others (no chains a→b→c where b itself is gone).
  const representatives: number[] = [];
  for (let j = 0; j < M; j++) {
    if (dropped[j]) continue;
    let merged = false;
    for (const r of representatives) {
      const cos = rowDot(T, j, T, r, D);
      if (cos > mergeCosine) {
        dropped[j] = { kind: 'near-duplicate', concept: j, other: r, cosine: cos, threshold: mergeCosine };
        merged = true;
        break;
      }
    }
    if (!merged) representatives.push(j);
  }

  // 4. Concepts that never fire.
  let topMeans: Float32Array = new Float32Array(M).fill(NaN);
  let fireCutoff = NaN;
  if (activations && activations.rows > 0 && M > 0) {
    topMeans = topKMeans(activations, topK);
    fireCutoff = percentile(topMeans, firePercentile);
    for (let j = 0; j < M; j++) {
      if (dropped[j]) continue;
      if (topMeans[j] < fireCutoff) {
        dropped[j] = { kind: 'never-fires', concept: j, top5Mean: topMeans[j], cutoff: fireCutoff, percentile: firePercentile };
      }
    }
  }

  const kept: number[] = [];
  const drops: HygieneDrop[] = [];
  for (let j = 0; j < M; j++) {
    const d = dropped[j];
    if (d) drops.push(d);
    else kept.push(j);
  }
  return { M, kept, dropped: drops, topMeans, fireCutoff };
}

/**
 * The concepts to use after the user's corrections: the hygiene result's kept set, plus every
 * `include` (undoing a drop), minus every `exclude`. Ascending indices. An index in both lists
 * is an error rather than a silent precedence rule.
 */
export function applyHygieneOverrides(result: HygieneResult, overrides: HygieneOverrides = {}): number[] {
  const inc = new Set(overrides.include ?? []);
  const exc = new Set(overrides.exclude ?? []);
  for (const j of [...inc, ...exc]) {
    if (!Number.isInteger(j) || j < 0 || j >= result.M) throw new Error(`concept ${j} is outside 0..${result.M - 1}`);
  }
  for (const j of inc) if (exc.has(j)) throw new Error(`concept ${j} is both included and excluded`);
  const on = new Uint8Array(result.M);
  for (const j of result.kept) on[j] = 1;
  for (const j of inc) on[j] = 1;
  for (const j of exc) on[j] = 0;
  const out: number[] = [];
  for (let j = 0; j < result.M; j++) if (on[j]) out.push(j);
  return out;
}

/** The drop entry of one concept, if hygiene dropped it (for the UI's "why is this gone?"). */
export function dropOf(result: HygieneResult, concept: number): HygieneDrop | undefined {
  return result.dropped.find((d) => d.concept === concept);
}

/** A one-line, plain-language reason for a drop, given the concept and class names. */
export function describeDrop(d: HygieneDrop, conceptNames: readonly string[], classNames: readonly string[] = []): string {
  const name = (j: number) => `"${conceptNames[j] ?? `concept ${j}`}"`;
  switch (d.kind) {
    case 'empty-name':
      return `concept ${d.concept} has an empty name`;
    case 'duplicate-name':
      return `${name(d.concept)} has the same name as ${name(d.other)}`;
    case 'class-leak':
      return `${name(d.concept)} is too close to the class "${classNames[d.classIndex] ?? `class ${d.classIndex}`}" (cosine ${d.cosine.toFixed(3)} > ${d.threshold})`;
    case 'near-duplicate':
      return `${name(d.concept)} is a near-duplicate of ${name(d.other)} (cosine ${d.cosine.toFixed(3)} > ${d.threshold})`;
    case 'never-fires':
      return `${name(d.concept)} hardly fires (top-5 mean ${d.top5Mean.toFixed(3)} < ${d.cutoff.toFixed(3)}, the ${d.percentile}th percentile)`;
  }
}
