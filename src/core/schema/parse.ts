/**
 * Reading a student export: text → JSON → format/version → migrations → schema → cross-field
 * checks → check block. Every failure is ONE specific message with the JSON path of the first
 * problem, because users fix files one problem at a time and a list of 400 zod issues helps
 * nobody (DESIGN.md: bad input yields a clear, specific message and changes nothing).
 */

import type { z } from 'zod';
import { describeValue, STUDENT_FORMAT, studentExportV1, type StudentExport } from './exportV1.ts';
import { migrate, MIGRATIONS, type MigrationTable, type RawDoc } from './migrate.ts';
import { validateStudentExport } from './validate.ts';
import { verifyCheckBlock, CHECK_TOLERANCE } from './checkBlock.ts';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ParseOptions {
  /** Migration table (tests inject a fake one). */
  migrations?: MigrationTable;
  /** Skip recomputing the check block (e.g. a quick peek at a huge file). Default: verify. */
  verifyCheck?: boolean;
  checkTolerance?: number;
}

/** `student.members.W[3][17]` from ['student','members','W',3,17]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += (s ? '.' : '') + String(p);
  }
  return s || '(top level)';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** One zod issue as a sentence; the offending value is looked up in the document by path. */
function issueMessage(issue: z.core.$ZodIssue, doc: unknown): string {
  const path = formatPath(issue.path);
  const got = valueAt(doc, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (got === undefined) return `${path}: missing (expected ${issue.expected})`;
      if (issue.expected === 'number') return `${path}: expected a finite number, got ${describeValue(got)}`;
      if (issue.expected === 'int') return `${path}: expected a whole number, got ${describeValue(got)}`;
      return `${path}: expected ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}, got ${describeValue(got)}`;
    case 'invalid_value':
      return `${path}: expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(got)}`;
    case 'invalid_union':
      return `${path}: ${describeValue(got)} is not one of the allowed values`;
    case 'too_small':
    case 'too_big':
      return `${path}: ${issue.message.replace(/^Too (small|big): expected \w+ to (have|be) /, 'must be ')}, got ${describeValue(got)}`;
    default:
      return `${path}: ${issue.message}`;
  }
}

/** Tell a cut-off file from a malformed one: truncation is the common case (partial downloads). */
function jsonError(text: string, e: unknown): string {
  const msg = (e as Error).message;
  const t = text.trimEnd();
  // V8 reports where parsing stopped; at (or past) the last character means the text just ends.
  const at = /position (\d+)/.exec(msg);
  const truncated = /unexpected end|unterminated|end of (json|data)/i.test(msg) || (at ? Number(at[1]) >= t.length : !/[}\]]$/.test(t));
  if (truncated) {
    return `the file is truncated: its JSON stops after ${text.length} characters before it is complete (was the download or copy interrupted?)`;
  }
  return `the file is not valid JSON: ${msg}`;
}

/** Parse, migrate and validate a student export. */
export function parseStudentExport(text: string, options: ParseOptions = {}): ParseResult<StudentExport> {
  if (text.trim() === '') return { ok: false, error: 'the file is empty' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: jsonError(text, e) };
  }
  return validateStudentDocument(raw, options);
}

/** Same as parseStudentExport for an already-parsed JSON value. */
export function validateStudentDocument(raw: unknown, options: ParseOptions = {}): ParseResult<StudentExport> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, error: `expected a JSON object at the top level, got ${describeValue(raw)}` };
  }
  const doc = raw as RawDoc;
  if (doc.format !== STUDENT_FORMAT) {
    const got = doc.format === undefined ? 'no format field' : `format ${describeValue(doc.format)}`;
    return { ok: false, error: `format: this is not a Concept Tuning Studio student export (expected "${STUDENT_FORMAT}", found ${got})` };
  }
  const m = migrate(doc, options.migrations ?? MIGRATIONS);
  if (!m.ok) return m;
  const parsed = studentExportV1.safeParse(m.doc);
  if (!parsed.success) return { ok: false, error: issueMessage(parsed.error.issues[0], m.doc) };
  const problem = validateStudentExport(parsed.data);
  if (problem) return { ok: false, error: problem };
  if (options.verifyCheck !== false) {
    const mismatch = verifyCheckBlock(parsed.data, options.checkTolerance ?? CHECK_TOLERANCE);
    if (mismatch) return { ok: false, error: mismatch };
  }
  return { ok: true, value: parsed.data };
}
