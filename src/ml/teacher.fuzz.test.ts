/**
 * Fuzzing teacher.json: any text or JSON value → a description or a TeacherLoadError, never
 * another exception; the bundled demo teacher.json parses, and one value swapped anywhere in it
 * is either still valid or refused with a message that names the field.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseTeacherDescription, TeacherLoadError } from './teacher.ts';
import { jsonValueArb, mutateText, mutationsArb, pathArb, replaceAt } from '../../tests/nasty/mutate.ts';

const text = readFileSync(resolve(import.meta.dirname, '../../models/demo-teacher/teacher.json'), 'utf8');

function onlyOwnError(input: unknown) {
  try {
    parseTeacherDescription(input);
  } catch (e) {
    expect(e).toBeInstanceOf(TeacherLoadError);
    expect((e as Error).message).toMatch(/^teacher\.json (is invalid|is not valid JSON): ./);
  }
}

describe('teacher.json (fuzz)', () => {
  it('the demo teacher.json parses and its labels survive a JSON round trip', () => {
    const d = parseTeacherDescription(text);
    expect(parseTeacherDescription(JSON.stringify(d)).labels).toEqual(d.labels);
  });
  it('arbitrary text and JSON values only raise TeacherLoadError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 100 }), onlyOwnError), { numRuns: 200 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), onlyOwnError), { numRuns: 200 });
  });
  it('damaged copies and swapped values only raise TeacherLoadError', () => {
    const doc = parseTeacherDescription(text);
    fc.assert(fc.property(mutationsArb, (ms) => onlyOwnError(mutateText(text, ms))), { numRuns: 150 });
    fc.assert(fc.property(pathArb, jsonValueArb, (p, v) => onlyOwnError(JSON.stringify(replaceAt(doc, p, v)))), { numRuns: 200 });
  });
});
