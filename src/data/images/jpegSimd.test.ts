import { describe, it, expect, afterEach } from 'vitest';
import jpeg from 'jpeg-js';
import sharp from 'sharp';
import { idctBlock, INT_SAFE_SUM } from './jpegIdct.ts';
import { jpegWasm, PLANES_AT, setSimdJpeg, simdJpegAvailable } from './jpegSimd.ts';
import { decodeJpegExact, trimJpegMemory } from './jpegDecoder.ts';

function rng(seed: number) {
  let s = seed;
  return (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 8) % n;
}

/** The block through the SIMD module, written at stride 11 into a plane of sentinel bytes. */
function simd(c: Int32Array): Uint8Array {
  const w = jpegWasm(PLANES_AT + 8 * 11 + 16)!;
  new Int32Array(w.memory.buffer, 0, 64).set(c);
  const plane = new Uint8Array(w.memory.buffer, PLANES_AT, 8 * 11 + 16).fill(77);
  w.idct(PLANES_AT + 3, 11);
  return plane.slice();
}

/** The same through the JS int32 path (the float64 path where Σ|c| passes its bound). */
function js(c: Int32Array): Uint8Array {
  const out = new Uint8ClampedArray(8 * 11 + 16).fill(77);
  idctBlock(c, c.reduce((a, v) => a + Math.abs(v), 0), false, out, 3, 11, new Int32Array(64));
  return new Uint8Array(out.buffer);
}

function photo(W: number, H: number, seed: number): Uint8Array {
  return new Uint8Array(jpeg.encode({ width: W, height: H, data: pixels(W, H, seed) }, 90).data);
}

/** Gradients with noise, RGBA. */
function pixels(W: number, H: number, seed: number): Uint8Array {
  const rnd = rng(seed);
  const rgba = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const o = (y * W + x) * 4;
    rgba[o] = (x * 3 + rnd(40)) & 255;
    rgba[o + 1] = (y * 2 + rnd(40)) & 255;
    rgba[o + 2] = ((x ^ y) + rnd(60)) & 255;
    rgba[o + 3] = 255;
  }
  return rgba;
}

function decodeBoth(bytes: Uint8Array) {
  setSimdJpeg(true);
  const a = decodeJpegExact(bytes);
  setSimdJpeg(false);
  const b = decodeJpegExact(bytes);
  setSimdJpeg(true);
  return { a, b };
}

describe('jpegSimd.wat (WebAssembly SIMD IDCT and colour conversion)', () => {
  afterEach(() => setSimdJpeg(true));

  it('is in use in Node 20, and can be turned off', () => {
    expect(simdJpegAvailable()).toBe(true);
    setSimdJpeg(false);
    expect(simdJpegAvailable()).toBe(false);
    expect(jpegWasm()).toBeNull();
  });

  it('converts 4:4:4 and 4:2:0 (fancy upsampling) as the JS does, for widths and heights around its 16-pixel steps', async () => {
    const rnd = rng(5);
    for (const W of [5, 6, 7, 15, 16, 17, 31, 33, 47, 100]) {
      for (const H of [1, 2, 3, 16, 17]) {
        const raw = Buffer.from(Uint8Array.from({ length: W * H * 3 }, () => rnd(256)));
        for (const chromaSubsampling of ['4:2:0', '4:4:4']) {
          const bytes = new Uint8Array(await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90, chromaSubsampling }).toBuffer());
          const { a, b } = decodeBoth(bytes);
          expect(Buffer.from(a.data).equals(Buffer.from(b.data)), `${W}×${H} ${chromaSubsampling}`).toBe(true);
        }
      }
    }
  });

  it('gives the JS IDCT\'s bytes on random blocks up to the int32 bound, writing only its 8×8 samples', () => {
    const rnd = rng(11);
    for (let t = 0; t < 3000; t++) {
      const c = new Int32Array(64);
      const kind = t % 4; // sparse, dense, top-left 4×4 only, scaled up to the bound
      const n = kind === 0 ? 1 + rnd(4) : kind === 1 ? 64 : 1 + rnd(20);
      for (let i = 0; i < n; i++) c[kind === 2 ? rnd(4) * 8 + rnd(4) : rnd(64)] = rnd(2001) - 1000;
      let sum = c.reduce((a, v) => a + Math.abs(v), 0);
      if (kind === 3 && sum > 0) {
        const k = Math.floor(INT_SAFE_SUM / sum);
        for (let i = 0; i < 64; i++) c[i] *= k;
        sum *= k;
      }
      if (sum > INT_SAFE_SUM) continue;
      const got = simd(c);
      expect(got, `block ${t}`).toEqual(js(c));
      // Outside rows of 8 at 3, 14, … 80 the sentinel stays.
      for (let i = 0; i < got.length; i++) if (!(i >= 3 && (i - 3) % 11 < 8 && (i - 3) / 11 < 8)) expect(got[i]).toBe(77);
    }
  });

  it('clamps like the range limit: saturated blocks come out 0 and 255', () => {
    const dark = new Int32Array(64);
    dark[0] = -2000; // far below black
    dark[1] = 50;
    const bright = new Int32Array(64);
    bright[0] = 2000;
    bright[9] = -40;
    expect(simd(dark)).toEqual(js(dark));
    expect(simd(bright)).toEqual(js(bright));
    expect(simd(dark).filter((v) => v === 0).length).toBe(64);
    expect(simd(bright).filter((v) => v === 255).length).toBe(64);
  });

  it('decodes whole files as the JS does: after the memory grows, and a big image in an instance of its own', async () => {
    const small = photo(67, 45, 1);
    const grows = photo(1800, 1400, 2); // ~15 MB of planes and output: the shared memory grows
    // ~74 MB of planes and output: above what is kept (64 MB), so an instance of its own
    const raw = { width: 3500, height: 3500, channels: 4 } as const;
    const huge = new Uint8Array(await sharp(Buffer.from(pixels(3500, 3500, 3)), { raw }).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer());
    for (const bytes of [small, grows, small, huge, small]) {
      const { a, b } = decodeBoth(bytes);
      expect(a.width).toBe(b.width);
      expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    }
    expect(jpegWasm()!.memory.buffer.byteLength).toBeLessThan(32 << 20); // the big one's memory is not the shared one
  });

  it('lets a memory grown past 16 MB go between batches, and decodes as before after it', async () => {
    const raw = { width: 2600, height: 2400, channels: 4 } as const; // ~37 MB: kept (under 64 MB)
    const big = new Uint8Array(await sharp(Buffer.from(pixels(2600, 2400, 4)), { raw }).jpeg({ quality: 90, chromaSubsampling: '4:2:0' }).toBuffer());
    const first = decodeBoth(big);
    expect(Buffer.from(first.a.data).equals(Buffer.from(first.b.data))).toBe(true);
    expect(jpegWasm()!.memory.buffer.byteLength).toBeGreaterThan(16 << 20);
    trimJpegMemory();
    expect(jpegWasm()!.memory.buffer.byteLength).toBeLessThan(16 << 20);
    const small = photo(67, 45, 1);
    const after = decodeBoth(small);
    expect(Buffer.from(after.a.data).equals(Buffer.from(after.b.data))).toBe(true);
  });
});
