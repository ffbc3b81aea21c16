/**
 * Fuzzing the project zip reader: any bytes → { ok } or { ok: false, error }, never a throw,
 * never a hang; payloads with typed arrays round-trip exactly; and importing a damaged project
 * file into an open project changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { packProject, unpackProject, unsafeEntryName } from './projectFile.ts';
import { exportProjectZip, importProjectZip } from '../../state/projectZip.ts';
import { smallStore } from '../../../tools/fixtures/makeNasty.ts';
import { mutate, mutationsArb } from '../../../tests/nasty/mutate.ts';

// Small limits: a flipped size field must not make the test allocate a gigabyte.
const LIMITS = { maxTotalBytes: 64 * 1024 * 1024, maxEntries: 2000 };

function neverThrows(bytes: Uint8Array) {
  const t0 = performance.now();
  const r = unpackProject(bytes, LIMITS);
  expect(performance.now() - t0).toBeLessThan(5000);
  if (!r.ok) expect(r.error.length).toBeGreaterThan(8);
  return r;
}

const arrayArb = fc.oneof(
  fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { maxLength: 20 }).map((a) => Float32Array.from(a)),
  fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 10 }).map((a) => Float64Array.from(a)),
  fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 10 }).map((a) => Int32Array.from(a)),
  fc.uint8Array({ maxLength: 10 }),
);
const payloadArb = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), arrayArb,
    fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '$array'), tie('node'), { maxKeys: 3 })),
})).node;

describe('project zip (fuzz)', () => {
  // The exported zip carries the time: fix the clock so a seed (tests/setup/fuzzSeed.ts) alone
  // decides the damaged bytes, and a failure reproduces.
  beforeAll(() => { vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-01-01T00:00:00Z') }); });
  afterAll(() => { vi.useRealTimers(); });
  it('payloads with typed arrays round-trip exactly', () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        const r = unpackProject(packProject({ generator: 'fuzz', payload, createdAt: 'x' }));
        expect(r.ok).toBe(true);
        expect(r.ok && r.value.payload).toEqual(payload);
      }),
      { numRuns: 120 },
    );
  });

  it('random bytes and damaged copies of a real project file never throw', async () => {
    const real = await exportProjectZip(smallStore().getState());
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => { neverThrows(new Uint8Array([0x50, 0x4b, ...b])); }), { numRuns: 150 });
    fc.assert(fc.property(mutationsArb, (ms) => { neverThrows(mutate(real, ms)); }), { numRuns: 150 });
  });

  it('entry names: anything unsafe is refused by name, before unpacking', () => {
    const nameArb = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('../x', 'a/../../b', '/abs', 'C:\\x', 'c:x', 'a\\..\\b', 'a\0b', ''));
    fc.assert(
      fc.property(nameArb, (name) => {
        const bad = unsafeEntryName(name);
        if (name.includes('..') && name.split(/[\\/]/).includes('..')) expect(bad).not.toBeNull();
        if (/^[\\/]|^[a-zA-Z]:/.test(name)) expect(bad).not.toBeNull();
        if (bad && name) {
          const r = neverThrows(zipSync({ [name]: new Uint8Array([1]) }));
          expect(r.ok).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('importing a damaged project file into an open project changes nothing', async () => {
    const real = await exportProjectZip(smallStore().getState());
    fc.assert(
      fc.property(mutationsArb, (ms) => {
        const store = smallStore();
        const before = store.getState();
        const r = importProjectZip(store.getState(), mutate(real, ms), 'p.zip', undefined, LIMITS);
        if (!r.ok) {
          expect(r.error).toMatch(/^p\.zip: /);
          expect(store.getState().dataset).toBe(before.dataset);
          expect(store.getState().session).toBe(before.session);
          expect(store.getState().ensemble).toBe(before.ensemble);
        }
      }),
      { numRuns: 60 },
    );
  });
});
