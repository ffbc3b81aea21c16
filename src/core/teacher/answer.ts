/**
 * One answer of a black-box (HTTP) teacher, read and mapped onto the project's classes
 * (METHODS.md §3, §8): probabilities (an object keyed by class name, or a list in the teacher's
 * label order), one label (one-hot, optionally label-smoothed) or a top-k list. Never throws:
 * a bad answer is an AnswerProblem whose message names the field and what was wrong.
 */
import type { HttpTeacherConfig } from './http.ts';

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
