/**
 * Black-box (HTTP) teacher, the pure part (METHODS.md §3 source 4, §8 "Black-box teacher"):
 * the endpoint description, how one answer is read and mapped onto the project's classes,
 * which images are asked first, how the budget is split, the back-off schedule, and the
 * distillation targets built from the answers. No I/O here: the client that talks to the
 * endpoint lives in data/teacher/httpClient.ts, the answer cache in data/teacher/answerStore.ts.
 *
 * Choices METHODS leaves open, fixed here (and tested in http.test.ts):
 *  - "least certain" = smallest LOGIT MARGIN of the current student, z_(1) − z_(2) (the gap
 *    between its two highest class logits). The student predicts argmax_c z_c, so the margin is
 *    exactly how far an image is from flipping its prediction; ties keep image order.
 *  - The budget counts HTTP REQUESTS, retries included: a user paying per call never pays for
 *    more than the number they typed.
 *  - Held-out images are asked too (their answers are what fidelity is measured against), in
 *    random order, so the measured fidelity is an unbiased sample. Their share of the budget is
 *    their share of the images asked about (`heldOutShare`, default the split's own share).
 *    Only distillation-split images follow the uncertainty order.
 *  - A label-only answer becomes a one-hot target, label-smoothed by ε when the user asks
 *    (default ε = 0): p = (1 − ε)·onehot + ε/C.
 *  - Images without an answer are left out of distillation and of the metrics (the split keeps
 *    answered images only); they are never given a made-up target.
 */
import { z } from 'zod';
import type { Mat } from '../types.ts';
import { mulberry32, permutation } from '../math/rng.ts';

// ------------------------------------------------------------------------------ configuration

export const REQUEST_FORMATS = ['json-base64', 'multipart', 'raw'] as const;
export type RequestFormat = (typeof REQUEST_FORMATS)[number];
export const RESPONSE_KINDS = ['probabilities', 'label', 'topk'] as const;
export type ResponseKind = (typeof RESPONSE_KINDS)[number];

const headerName = z.string().trim().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a valid HTTP header name');

export const httpTeacherConfigSchema = z.object({
  url: z
    .string()
    .trim()
    .min(1, 'is empty')
    .refine((u) => splitUrl(u) !== null, 'must be a full http:// or https:// address'),
  headers: z.array(z.object({ name: headerName, value: z.string() })).default([]),
  request: z.object({
    format: z.enum(REQUEST_FORMATS),
    /** JSON key (json-base64) or form field (multipart) holding the image. */
    field: z.string().trim().min(1).default('image'),
  }),
  response: z.object({
    kind: z.enum(RESPONSE_KINDS),
    /** Dotted path to the answer inside the JSON ("" = the whole body). */
    path: z.string().trim().default(''),
    /** probabilities given as an array: the teacher's label order (default: the project's classes). */
    labels: z.array(z.string()).optional(),
    /** top-k entries: the keys of label and score. */
    labelKey: z.string().trim().min(1).default('label'),
    scoreKey: z.string().trim().min(1).default('score'),
    /** Label smoothing ε for label-only answers, 0 ≤ ε < 1. */
    smoothing: z.number().min(0).lt(1).default(0),
  }),
  /** Most requests to send, retries included. */
  budget: z.number().int().min(1),
  /** Requests started per second at most. */
  ratePerSecond: z.number().positive().max(1000).default(2),
  /** Requests in flight at once at most. */
  concurrency: z.number().int().min(1).max(32).default(2),
  timeoutMs: z.number().int().min(100).max(600_000).default(15_000),
  /** Retries after a 5xx, 429 or network failure (never after another 4xx). */
  retries: z.number().int().min(0).max(10).default(3),
  order: z.enum(['uncertain-first', 'random']).default('uncertain-first'),
});

export type HttpTeacherConfig = z.infer<typeof httpTeacherConfigSchema>;
export type HttpTeacherConfigInput = z.input<typeof httpTeacherConfigSchema>;

/** Validates a configuration; throws one message naming every bad field. */
export function parseHttpTeacherConfig(input: unknown): HttpTeacherConfig {
  const r = httpTeacherConfigSchema.safeParse(input);
  if (r.success) return r.data;
  throw new Error(r.error.issues.map((i) => `${i.path.join('.') || 'settings'} ${i.message}`).join('; '));
}

/**
 * scheme://host[:port]/path of an http(s) address, without credentials, query or fragment, or
 * null. (core has no WHATWG URL: it compiles without DOM or Node types.)
 */
export function splitUrl(url: string): { origin: string; path: string } | null {
  const m = /^(https?):\/\/(?:[^@/?#]*@)?([^/?#@\s]+)([^?#\s]*)(?:[?#]\S*)?$/i.exec(url.trim());
  if (!m || !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(m[2])) return null;
  return { origin: `${m[1].toLowerCase()}://${m[2].toLowerCase()}`, path: m[3] || '/' };
}

/** The endpoint's address without query string or credentials: what may be shown and exported. */
export function publicUrl(url: string): string {
  const u = splitUrl(url);
  return u ? u.origin + u.path : url;
}

/** The origin a page's connect-src must allow for this endpoint. */
export function endpointOrigin(url: string): string {
  return splitUrl(url)?.origin ?? url;
}

/**
 * What identifies "the same teacher" for the answer cache: the address and how its answers
 * are read, and the classes they were mapped onto. Headers are left out on purpose (a renewed
 * API key is the same teacher), as are budget and pacing.
 */
export function endpointIdentity(c: HttpTeacherConfig, classes: readonly string[]): string {
  return JSON.stringify({ url: c.url.trim(), request: c.request, response: c.response, classes });
}

// ------------------------------------------------------------------------------- one answer

/** Why an answer could not be used; `kind` picks the message the studio shows. */
export type AnswerProblem =
  | { kind: 'malformed'; message: string }
  | { kind: 'unknown-label'; label: string; message: string };

export type ParsedAnswer =
  | { ok: true; probs: Float32Array; labelOnly: boolean; label: string }
  | { ok: false; problem: AnswerProblem };

/** What the endpoint is expected to return, in words (shown next to a malformed answer). */
export function expectedShape(c: HttpTeacherConfig, classes: readonly string[]): string {
  const at = c.response.path ? `at "${c.response.path}"` : 'as the whole body';
  const ex = classes.slice(0, 2);
  switch (c.response.kind) {
    case 'probabilities':
      return `JSON with, ${at}, either an object {"${ex[0]}": 0.9, "${ex[1]}": 0.1, …} or an array of ${(c.response.labels ?? classes).length} numbers in [0, 1] summing to 1`;
    case 'label':
      return `JSON with, ${at}, one class name as a string (one of: ${classes.join(', ')})`;
    case 'topk':
      return `JSON with, ${at}, a list like [{"${c.response.labelKey}": "${ex[0]}", "${c.response.scoreKey}": 0.8}, …] (scores in [0, 1], sum at most 1)`;
  }
}

const fold = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

/** Class index by name, case and whitespace folded. */
function classIndex(classes: readonly string[]): Map<string, number> {
  return new Map(classes.map((c, i) => [fold(c), i]));
}

function at(value: unknown, path: string): { found: boolean; value: unknown } {
  if (!path) return { found: true, value };
  let v: unknown = value;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, key)) return { found: false, value: undefined };
    v = (v as Record<string, unknown>)[key];
  }
  return { found: true, value: v };
}

/** Tolerance on "sums to 1" (answers travel as decimal text). */
const SUM_TOLERANCE = 1e-3;

const malformed = (message: string): ParsedAnswer => ({ ok: false, problem: { kind: 'malformed', message } });
const unknownLabel = (label: string, classes: readonly string[]): ParsedAnswer => ({
  ok: false,
  problem: { kind: 'unknown-label', label, message: `the teacher answered "${label}", which is not one of this project's classes (${classes.join(', ')})` },
});

function oneHot(C: number, c: number, eps: number): Float32Array {
  const p = new Float32Array(C).fill(eps / C);
  p[c] = 1 - eps + eps / C;
  return p;
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
  return best;
}

/**
 * Reads one response body (text) into a probability vector over `classes`. Never throws: a bad
 * body is an AnswerProblem with a message naming the field and what was wrong.
 */
export function parseAnswer(body: string, c: HttpTeacherConfig, classes: readonly string[]): ParsedAnswer {
  const C = classes.length;
  const index = classIndex(classes);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    const head = (body.length > 80 ? `${body.slice(0, 80)}…` : body).replace(/\s+/g, ' ');
    return malformed(body.trim() ? `the answer is not JSON (${(e as Error).message}); it began: ${head}` : 'the answer was empty, not JSON');
  }
  const where = c.response.path ? `"${c.response.path}"` : 'the body';
  const got = at(json, c.response.path);
  if (!got.found) return malformed(`the answer has no field "${c.response.path}"`);
  const v = got.value;

  if (c.response.kind === 'label') {
    if (typeof v !== 'string' || !v.trim()) return malformed(`${where} should be a class name (a string), got ${describe(v)}`);
    const k = index.get(fold(v));
    if (k === undefined) return unknownLabel(v, classes);
    return { ok: true, probs: oneHot(C, k, c.response.smoothing), labelOnly: true, label: classes[k] };
  }

  if (c.response.kind === 'topk') {
    if (!Array.isArray(v) || v.length === 0) return malformed(`${where} should be a non-empty list of {${c.response.labelKey}, ${c.response.scoreKey}}, got ${describe(v)}`);
    const p = new Float64Array(C);
    const seen = new Set<number>();
    let sum = 0;
    for (let e = 0; e < v.length; e++) {
      const item = v[e] as Record<string, unknown> | null;
      const label = item && typeof item === 'object' ? item[c.response.labelKey] : undefined;
      const score = item && typeof item === 'object' ? item[c.response.scoreKey] : undefined;
      if (typeof label !== 'string') return malformed(`${where}[${e}].${c.response.labelKey} should be a class name, got ${describe(label)}`);
      if (typeof score !== 'number' || !(score >= 0 && score <= 1)) return malformed(`${where}[${e}].${c.response.scoreKey} should be a number in [0, 1], got ${describe(score)}`);
      const k = index.get(fold(label));
      if (k === undefined) return unknownLabel(label, classes);
      if (seen.has(k)) return malformed(`${where} lists "${label}" twice`);
      seen.add(k);
      p[k] = score;
      sum += score;
    }
    if (sum > 1 + SUM_TOLERANCE) return malformed(`${where}: the scores sum to ${sum.toFixed(4)}, more than 1`);
    // Classes the top-k leaves out share what is left of the mass evenly.
    const rest = C - seen.size;
    const left = Math.max(0, 1 - sum);
    const out = new Float32Array(C);
    for (let k = 0; k < C; k++) out[k] = seen.has(k) ? p[k] : rest ? left / rest : 0;
    const total = out.reduce((s, x) => s + x, 0);
    for (let k = 0; k < C; k++) out[k] /= total;
    return { ok: true, probs: out, labelOnly: false, label: classes[argmax(out)] };
  }

  // probabilities: an object keyed by class name, or an array in the teacher's label order
  const out = new Float32Array(C);
  if (Array.isArray(v)) {
    const order = c.response.labels ?? classes;
    if (v.length !== order.length) return malformed(`${where} has ${v.length} numbers, expected ${order.length} (${order.join(', ')})`);
    for (let e = 0; e < v.length; e++) {
      const x = v[e];
      if (typeof x !== 'number' || !(x >= 0 && x <= 1)) return malformed(`${where}[${e}] should be a probability in [0, 1], got ${describe(x)}`);
      const k = index.get(fold(order[e]));
      if (k === undefined) return unknownLabel(order[e], classes);
      out[k] = x;
    }
  } else if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    for (const [label, x] of entries) {
      const k = index.get(fold(label));
      if (k === undefined) return unknownLabel(label, classes);
      if (typeof x !== 'number' || !(x >= 0 && x <= 1)) return malformed(`${where}.${label} should be a probability in [0, 1], got ${describe(x)}`);
      out[k] = x;
    }
    const missing = classes.filter((_, k) => !entries.some(([l]) => index.get(fold(l)) === k));
    if (missing.length) return malformed(`${where} has no probability for ${missing.map((m) => `"${m}"`).join(', ')}`);
  } else {
    return malformed(`${where} should hold class probabilities, got ${describe(v)}`);
  }
  const sum = out.reduce((s, x) => s + x, 0);
  if (Math.abs(sum - 1) > SUM_TOLERANCE) return malformed(`${where}: the probabilities sum to ${sum.toFixed(4)}, not 1`);
  for (let k = 0; k < C; k++) out[k] /= sum;
  return { ok: true, probs: out, labelOnly: false, label: classes[argmax(out)] };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'string') return `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

// -------------------------------------------------------------------------- what to ask first

/**
 * The student's logit margin z_(1) − z_(2) per image (smaller = less certain). `logit(i, c)`
 * reads the current student's logits (core/tuning LiveLogits.logit fits).
 */
export function logitMargins(N: number, C: number, logit: (i: number, c: number) => number): Float64Array {
  const m = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let a = -Infinity;
    let b = -Infinity;
    for (let c = 0; c < C; c++) {
      const z = logit(i, c);
      if (z > a) {
        b = a;
        a = z;
      } else if (z > b) b = z;
    }
    m[i] = a - b;
  }
  return m;
}

/** Candidates sorted least certain first (smallest margin); equal margins keep image order. */
export function uncertainFirst(candidates: ArrayLike<number>, margins: ArrayLike<number>): number[] {
  return Array.from(candidates).sort((x, y) => margins[x] - margins[y] || x - y);
}

/** Candidates in a seeded random order (the comparison baseline). */
export function randomOrder(candidates: ArrayLike<number>, seed: number): number[] {
  const perm = permutation(mulberry32(seed), candidates.length);
  return Array.from(perm, (k) => candidates[k]);
}

export interface QueryPlanInput {
  /** Distillation-split images and held-out images. */
  train: ArrayLike<number>;
  heldOut: ArrayLike<number>;
  /** Images already answered (cache): never asked again, and not counted against the budget. */
  answered: (i: number) => boolean;
  /** Images to ask at most (one request each when nothing fails). */
  budget: number;
  order: 'uncertain-first' | 'random';
  /** Student margins (needed for 'uncertain-first'). */
  margins?: ArrayLike<number>;
  seed?: number;
  /** Share of the asked images that are held-out (default: heldOut / (train + heldOut)). */
  heldOutShare?: number;
}

/**
 * The images to ask, in the order to ask them. Held-out images (random order) and
 * distillation images (least certain first, or random) are interleaved so that stopping at any
 * point — budget, cancel — leaves both sides in proportion.
 */
export function planQueries(p: QueryPlanInput): number[] {
  const seed = p.seed ?? 0;
  const train = Array.from(p.train).filter((i) => !p.answered(i));
  const held = Array.from(p.heldOut).filter((i) => !p.answered(i));
  const share = p.heldOutShare ?? p.heldOut.length / Math.max(1, p.heldOut.length + p.train.length);
  if (p.order === 'uncertain-first' && !p.margins) throw new Error('uncertain-first needs the student’s margins');
  const t = p.order === 'uncertain-first' ? uncertainFirst(train, p.margins!) : randomOrder(train, seed);
  const h = randomOrder(held, seed + 1);
  const out: number[] = [];
  let ti = 0;
  let hi = 0;
  while (out.length < p.budget && (ti < t.length || hi < h.length)) {
    // Ask a held-out image whenever the held-out side is behind its share.
    const wantHeld = hi < h.length && (ti >= t.length || hi < share * (out.length + 1) - 1e-9);
    out.push(wantHeld ? h[hi++] : t[ti++]);
  }
  return out;
}

// ------------------------------------------------------------------------------------ retries

/** Whether a failed request may be tried again: 5xx, 429 and network failures (status null). */
export function retryable(status: number | null): boolean {
  return status === null || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Wait before retry number `attempt` (1 = first retry): exponential back-off, base·2^(attempt−1)
 * capped at `maxMs`, with "full jitter" (a uniform share of it, `rand` in [0, 1)) so many clients
 * do not retry in step. A Retry-After the server sent wins when it is longer.
 */
export function backoffMs(attempt: number, rand: number, opts: { baseMs?: number; maxMs?: number; retryAfterMs?: number | null } = {}): number {
  const cap = Math.min(opts.maxMs ?? 30_000, (opts.baseMs ?? 500) * 2 ** (attempt - 1));
  const jittered = cap / 2 + (cap / 2) * rand;
  return Math.max(jittered, opts.retryAfterMs ?? 0);
}

/** A Retry-After header (seconds or an HTTP date) in milliseconds, or null. */
export function parseRetryAfter(v: string | null, now: number): number | null {
  if (!v) return null;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, 120_000);
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.min(Math.max(0, t - now), 120_000) : null;
}

// ------------------------------------------------------------------------- distillation inputs

export interface TeacherAnswer {
  probs: Float32Array;
  labelOnly: boolean;
}

/**
 * Teacher probabilities and split for distillation from the answers received: answered images
 * take the teacher's answer; the others keep `fallback`'s row (they are out of the split, so no
 * fit and no metric ever reads them). Throws when a side of the split has no answer.
 */
export function teacherFromAnswers(
  fallback: Mat,
  split: { train: ArrayLike<number>; heldOut: ArrayLike<number> },
  answers: ReadonlyMap<number, TeacherAnswer>,
): { teacher: Mat; answered: Uint8Array; split: { train: Int32Array; heldOut: Int32Array }; labelOnly: number } {
  const { rows: N, cols: C } = fallback;
  const data = fallback.data.slice();
  const answered = new Uint8Array(N);
  let labelOnly = 0;
  for (const [i, a] of answers) {
    if (!(i >= 0 && i < N) || a.probs.length !== C) continue;
    data.set(a.probs, i * C);
    answered[i] = 1;
    if (a.labelOnly) labelOnly++;
  }
  const train = Int32Array.from(Array.from(split.train).filter((i) => answered[i]));
  const heldOut = Int32Array.from(Array.from(split.heldOut).filter((i) => answered[i]));
  if (train.length < 2) throw new Error(`only ${train.length} distillation image${train.length === 1 ? ' has' : 's have'} an answer; ask the teacher about more images first`);
  if (heldOut.length < 1) throw new Error('no held-out image has an answer yet, so fidelity cannot be measured; ask the teacher about more images first');
  return { teacher: { rows: N, cols: C, data }, answered, split: { train, heldOut }, labelOnly };
}

/** The export's teacher description: kind, public address, answer kind and counts — never headers. */
export function describeHttpTeacher(c: HttpTeacherConfig, answered: number, N: number, labelOnly: number): { name: string; description: string } {
  const url = publicUrl(c.url);
  const kind = c.response.kind === 'label' ? 'labels' : c.response.kind === 'topk' ? 'top-k scores' : 'probabilities';
  const smooth = c.response.kind === 'label' && c.response.smoothing > 0 ? `, label smoothing ε = ${c.response.smoothing}` : '';
  return {
    name: `HTTP teacher ${url}`,
    description: `Black-box HTTP endpoint ${url} answering ${kind}${smooth}; ${answered} of ${N} images answered${labelOnly ? ` (${labelOnly} label-only, one-hot targets)` : ''}; images without an answer are left out of distillation and metrics; asked ${c.order === 'random' ? 'in random order' : 'least-certain first (student logit margin)'}.`,
  };
}
