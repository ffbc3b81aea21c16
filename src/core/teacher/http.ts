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

export { expectedShape, parseAnswer, type AnswerProblem, type ParsedAnswer } from './answer.ts';

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
