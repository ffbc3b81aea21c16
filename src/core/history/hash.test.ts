import { describe, expect, it } from 'vitest';
import { ensembleRef, fnv1a64Hex, hashFloat32, WEIGHTS_REF_PREFIX } from './hash.ts';
import type { Ensemble } from '../types.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('FNV-1a 64', () => {
  it('matches the published test vectors', () => {
    expect(fnv1a64Hex(bytes(''))).toBe('cbf29ce484222325');
    expect(fnv1a64Hex(bytes('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Hex(bytes('foobar'))).toBe('85944171f73967e8');
  });

  it('hashes float arrays by their bytes, length-prefixed', () => {
    const a = new Float32Array([1, 2, 3]);
    expect(hashFloat32(a)).toBe(hashFloat32(new Float32Array([1, 2, 3])));
    expect(hashFloat32(a).startsWith(WEIGHTS_REF_PREFIX)).toBe(true);
    expect(hashFloat32(a)).not.toBe(hashFloat32(new Float32Array([1, 2, 3.0000002])));
    // -0 and 0 are different bytes, so different content.
    expect(hashFloat32(new Float32Array([0]))).not.toBe(hashFloat32(new Float32Array([-0])));
    // Splitting the same floats differently must not collide.
    expect(hashFloat32(new Float32Array([1]), new Float32Array([2, 3]))).not.toBe(hashFloat32(a));
  });

  it('gives an ensemble ref that changes with any member weight', () => {
    const lm = (v: number) => ({ W: new Float32Array([v, 0]), b: new Float32Array([0]), C: 1, M: 2 });
    const e: Ensemble = { served: lm(1), members: [lm(1), lm(1)], lo: new Float32Array(2), hi: new Float32Array(2) };
    const e2: Ensemble = { ...e, members: [lm(1), lm(1.5)] };
    expect(ensembleRef(e)).toBe(ensembleRef({ ...e }));
    expect(ensembleRef(e)).not.toBe(ensembleRef(e2));
  });
});
