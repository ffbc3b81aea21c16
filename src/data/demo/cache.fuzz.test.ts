/**
 * Fuzzing the demo cache manifest: any text or JSON value → a manifest or a DemoCacheError, never
 * another exception; one value swapped anywhere in the real cache.json either keeps it valid or
 * is refused with the field's path; float32 bytes round-trip.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DemoCacheError, float32FromLE, float32ToLE, parseDemoCacheManifest } from './cache.ts';
import { jsonValueArb, mutateText, mutationsArb, pathArb, replaceAt } from '../../../tests/nasty/mutate.ts';

const text = readFileSync(resolve(import.meta.dirname, '../../../public/demo/cache/cache.json'), 'utf8');

function onlyOwnError(input: unknown) {
  try {
    parseDemoCacheManifest(input);
  } catch (e) {
    expect(e).toBeInstanceOf(DemoCacheError);
    expect((e as Error).message).toMatch(/^cache\.json (is invalid|is not valid JSON|has version)/);
  }
}

describe('demo cache.json (fuzz)', () => {
  it('arbitrary text and JSON values only raise DemoCacheError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 100 }), onlyOwnError), { numRuns: 150 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), onlyOwnError), { numRuns: 150 });
  });
  it('damaged copies and swapped values of the real cache.json only raise DemoCacheError', () => {
    const doc = JSON.parse(text);
    fc.assert(fc.property(mutationsArb, (ms) => onlyOwnError(mutateText(text, ms))), { numRuns: 60 });
    fc.assert(fc.property(pathArb, jsonValueArb, (p, v) => onlyOwnError(replaceAt(doc, p, v))), { numRuns: 120 });
  });
  it('float32 arrays round-trip through little-endian bytes', () => {
    fc.assert(fc.property(fc.float32Array({ maxLength: 50 }), (a) => {
      expect(Array.from(float32FromLE(float32ToLE(a)))).toEqual(Array.from(a));
    }), { numRuns: 100 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 30 }), (b) => {
      if (b.length % 4) expect(() => float32FromLE(b)).toThrow(DemoCacheError);
      else expect(float32FromLE(b).length).toBe(b.length / 4);
    }), { numRuns: 100 });
  });
});
