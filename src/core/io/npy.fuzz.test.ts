/** Fuzzing parseNpy: any bytes → an array or an NpyError, never anything else; valid files round-trip. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseNpy, writeNpy, NpyError } from './npy.ts';
import { mutate, mutationsArb } from '../../../tests/nasty/mutate.ts';

function onlyNpyError(bytes: Uint8Array) {
  try {
    const a = parseNpy(bytes, 'f.npy');
    expect(a.data.length).toBe(a.shape.reduce((p, d) => p * d, 1));
  } catch (e) {
    expect(e).toBeInstanceOf(NpyError);
    expect((e as Error).message).toMatch(/^f\.npy/);
  }
}

const shapeArb = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 });

describe('parseNpy (fuzz)', () => {
  it('valid float32 and int32 files round-trip exactly', () => {
    fc.assert(
      fc.property(shapeArb, fc.boolean(), fc.integer(), (shape, isFloat, seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = isFloat ? Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i) * 1e3)) : Int32Array.from({ length: n }, (_, i) => (seed * 31 + i) | 0);
        const a = parseNpy(writeNpy(data, shape));
        expect(a.shape).toEqual(shape);
        expect(Array.from(a.data)).toEqual(Array.from(data));
      }),
      { numRuns: 150 },
    );
  });

  it('random bytes (with and without the magic) only ever raise NpyError', () => {
    const magic = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 200 }), (withMagic, rest) => {
        const b = withMagic ? new Uint8Array([...magic, ...rest]) : rest;
        onlyNpyError(b);
      }),
      { numRuns: 300 },
    );
  });

  it('damaged copies of a valid file (truncated, flipped, spliced) only ever raise NpyError', () => {
    const base = writeNpy(Float32Array.from({ length: 24 }, (_, i) => i / 7), [4, 6]);
    fc.assert(fc.property(mutationsArb, (ms) => onlyNpyError(mutate(base, ms))), { numRuns: 300 });
  });

  it('arbitrary header text only ever raises NpyError', () => {
    const headerArb = fc.tuple(
      fc.constantFrom("'<f4'", "'<f8'", "'|b1'", "'<i8'", "'>f4'", "'<c8'", "'|O'", "'<f'", "'f4'", "''", "'<f4"),
      fc.constantFrom('True', 'False', 'None', ''),
      fc.array(fc.oneof(fc.integer({ min: -3, max: 1e6 }), fc.constantFrom('1L', '2.5', 'x', '', '1e3')), { maxLength: 4 }),
    ).map(([d, f, s]) => `{'descr': ${d}, 'fortran_order': ${f}, 'shape': (${s.join(', ')}${s.length === 1 ? ',' : ''}), }`);
    fc.assert(
      fc.property(headerArb, fc.uint8Array({ maxLength: 64 }), fc.constantFrom(1, 2, 3), (header, data, version) => {
        const pad = header.padEnd(Math.ceil((12 + header.length + 1) / 64) * 64 - 12 - 1) + '\n';
        const head = version === 1 ? 10 : 12;
        const out = new Uint8Array(head + pad.length + data.length);
        out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
        const v = new DataView(out.buffer);
        if (version === 1) v.setUint16(8, pad.length, true); else v.setUint32(8, pad.length, true);
        out.set(new TextEncoder().encode(pad), head);
        out.set(data, head + pad.length);
        onlyNpyError(out);
      }),
      { numRuns: 300 },
    );
  });
});
