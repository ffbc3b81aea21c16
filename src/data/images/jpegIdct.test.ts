import { describe, it, expect } from 'vitest';
import { idctBlock, INT_SAFE_SUM } from './jpegIdct.ts';

// The int32 path (with its DC-only, zero-column and zero-row shortcuts) must equal libjpeg's
// islow arithmetic exactly; the float64 path is that arithmetic without any 32-bit limit, so
// forcing it (a `sum` above INT_SAFE_SUM) gives the reference for the same block.
function run(c: Int32Array, sum: number, dcOnly: boolean): Uint8ClampedArray {
  const out = new Uint8ClampedArray(8 * 11); // stride 11: rows must not run into each other
  const low4 = c.every((v, i) => v === 0 || ((i & 7) < 4 && i >> 3 < 4)); // as the decoder tells it
  idctBlock(c, sum, dcOnly, out, 3, 11, new Int32Array(64), low4);
  return out;
}

function rng(seed: number) {
  let s = seed;
  return (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 8) % n; // high bits: an LCG's low bits alternate
}

describe('islow IDCT', () => {
  it('int32 path equals the exact float64 path on random blocks up to the safe bound', () => {
    const rnd = rng(7);
    for (let t = 0; t < 3000; t++) {
      const c = new Int32Array(64);
      // Sparse, dense, zero rows/columns, the top-left 4×4 only, and blocks whose Σ|c| sits
      // right at the bound.
      const kind = t % 5;
      const n = kind === 0 ? 1 + rnd(4) : kind === 1 ? 64 : 1 + rnd(20);
      for (let i = 0; i < n; i++) c[kind === 2 ? rnd(8) * 8 : kind === 4 ? rnd(4) * 8 + rnd(4) : rnd(64)] = rnd(2001) - 1000;
      if (kind === 4 && t % 10 === 4) for (let i = 0; i < 64; i++) if ((i & 7) < 4 && i >> 3 < 4) c[i] = rnd(2001) - 1000;
      let sum = c.reduce((a, v) => a + Math.abs(v), 0);
      if ((kind === 3 || (kind === 4 && t % 3 === 0)) && sum > 0) {
        const k = Math.floor(INT_SAFE_SUM / sum);
        for (let i = 0; i < 64; i++) c[i] *= k;
        sum *= k;
      }
      if (sum > INT_SAFE_SUM) continue;
      const want = run(c, INT_SAFE_SUM + 1, false);
      expect(run(c, sum, false), `block ${t}`).toEqual(want);
      if (t % 10 === 0) expect(Array.from(want), `block ${t}`).toEqual(Array.from(reference(c)));
    }
  });

  it('the DC-only shortcut equals the full transform, for any DC value', () => {
    for (const dc of [0, 1, -1, 3, 4, -4, -5, 1020, -1024, 8191, 123457, -(2 ** 30), 2 ** 31 - 5]) {
      const c = new Int32Array(64);
      c[0] = dc;
      expect(run(c, Math.abs(dc), true), `dc ${dc}`).toEqual(run(c, INT_SAFE_SUM + 1, false));
    }
  });

  it('blocks beyond the int32 bound (damaged files) match jidctint.c computed in 64-bit integers', () => {
    const rnd = rng(11);
    for (let t = 0; t < 200; t++) {
      const c = new Int32Array(64);
      for (let i = 0; i < 64; i++) if (rnd(3) === 0) c[i] = (rnd(2 ** 16) - 2 ** 15) * (1 + rnd(255)); // any JCOEF × an 8-bit quantiser
      const sum = c.reduce((a, v) => a + Math.abs(v), 0);
      expect(Array.from(run(c, sum, false)), `block ${t}`).toEqual(Array.from(reference(c)));
    }
  });
});

/** jidctint.c jpeg_idct_islow with JLONG = 64 bits, in BigInt; range limit as a clamp. */
function reference(c: Int32Array): Uint8ClampedArray {
  const F = (x: number) => BigInt(x);
  const pass = (v: bigint[], shift: bigint): bigint[] => {
    const [i0, i1, i2, i3, i4, i5, i6, i7] = v;
    const z1 = (i2 + i6) * F(4433);
    const t2 = z1 - i6 * F(15137), t3 = z1 + i2 * F(6270);
    const t0 = (i0 + i4) << 13n, t1 = (i0 - i4) << 13n;
    const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
    const z5 = (i7 + i3 + i5 + i1) * F(9633);
    const z3 = (i7 + i3) * F(-16069) + z5, z4 = (i5 + i1) * F(-3196) + z5;
    const za = (i7 + i1) * F(-7373), zb = (i5 + i3) * F(-20995);
    const a0 = i7 * F(2446) + za + z3, a1 = i5 * F(16819) + zb + z4, a2 = i3 * F(25172) + zb + z3, a3 = i1 * F(12299) + za + z4;
    const d = (x: bigint) => (x + (1n << (shift - 1n))) >> shift;
    return [d(t10 + a3), d(t11 + a2), d(t12 + a1), d(t13 + a0), d(t13 - a0), d(t12 - a1), d(t11 - a2), d(t10 - a3)];
  };
  const ws: bigint[] = new Array(64);
  for (let col = 0; col < 8; col++) {
    const r = pass([0, 1, 2, 3, 4, 5, 6, 7].map((k) => BigInt(c[k * 8 + col])), 11n);
    for (let k = 0; k < 8; k++) ws[k * 8 + col] = r[k];
  }
  const out = new Uint8ClampedArray(8 * 11);
  for (let row = 0; row < 8; row++) {
    const r = pass(ws.slice(row * 8, row * 8 + 8), 18n);
    for (let k = 0; k < 8; k++) {
      const v = r[k] + 128n;
      out[3 + row * 11 + k] = v < 0n ? 0 : v > 255n ? 255 : Number(v);
    }
  }
  return out;
}
