/**
 * Fuzzing parseStudentExport: any text → { ok } or { ok: false, error } with a non-empty,
 * specific message; it never throws. A real export (from a synthetic project) round-trips,
 * and damaged or value-swapped copies of it are refused, never thrown on.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseStudentExport } from './parse.ts';
import { exportStudentJson } from '../../state/exportStudent.ts';
import { smallStore } from '../../../tools/fixtures/makeNasty.ts';
import { jsonValueArb, mutateText, mutationsArb, pathArb, replaceAt } from '../../../tests/nasty/mutate.ts';

const text = exportStudentJson(smallStore().getState());
const doc = JSON.parse(text);

function neverThrows(t: string) {
  const r = parseStudentExport(t);
  if (!r.ok) {
    expect(typeof r.error).toBe('string');
    expect(r.error.length).toBeGreaterThan(8);
  }
  return r;
}

describe('parseStudentExport (fuzz)', () => {
  it('a real export round-trips', () => {
    const r = parseStudentExport(text);
    expect(r.ok).toBe(true);
    expect(r.ok && JSON.parse(JSON.stringify(r.value))).toEqual(doc);
  });

  it('arbitrary text and JSON values never throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (t) => { neverThrows(t); }), { numRuns: 200 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => { expect(neverThrows(JSON.stringify(v)).ok).toBe(false); }), { numRuns: 200 });
  });

  it('damaged copies (truncated, flipped, spliced bytes) never throw', () => {
    fc.assert(fc.property(mutationsArb, (ms) => { neverThrows(mutateText(text, ms)); }), { numRuns: 150 });
  });

  it('one value swapped anywhere (NaN strings, 1e300, wrong types, empty containers) never throws', () => {
    fc.assert(
      fc.property(pathArb, jsonValueArb, (path, value) => {
        const r = neverThrows(JSON.stringify(replaceAt(doc, path, value)));
        // A refusal names where: a JSON path, or what the check block or a cross-field check found.
        if (!r.ok) expect(r.error).toMatch(/[a-zA-Z]/);
      }),
      { numRuns: 250 },
    );
  });
});
