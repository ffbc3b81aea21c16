import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { resizeBicubic, resizeCropped, type RgbImage } from './preprocess.ts';
import { setSimdResample, simdResampleAvailable } from './resampleSimd.ts';

/**
 * PIL's Resample.c transcribed pixel by pixel (precompute_coeffs, ImagingResampleHorizontal_8bpc,
 * ImagingResampleVertical_8bpc, clip8), with none of preprocess.ts's restructuring (rows in
 * pairs, bytes in fours, float weights, reused buffers): the optimised passes must equal it.
 */
function pilResize(img: RgbImage, width: number, height: number, resample: 2 | 3): RgbImage {
  const filter = resample === 2
    ? { support: 1, fn: (x: number) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) }
    : { support: 2, fn: (x: number) => { x = Math.abs(x); return x < 1 ? (1.5 * x - 2.5) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * -0.5 : 0; } };
  const coeffs = (inSize: number, outSize: number) => {
    const scale = inSize / outSize, fs = Math.max(scale, 1), support = filter.support * fs;
    return Array.from({ length: outSize }, (_, xx) => {
      const center = (xx + 0.5) * scale;
      const xmin = Math.max(0, Math.trunc(center - support + 0.5));
      const xmax = Math.min(inSize, Math.trunc(center + support + 0.5));
      const w = Array.from({ length: xmax - xmin }, (_, x) => filter.fn((x + xmin - center + 0.5) / fs));
      const ww = w.reduce((a, b) => a + b, 0);
      return { xmin, k: w.map((v) => { const f = (ww !== 0 ? v / ww : v) * 2 ** 22; return Math.trunc(f < 0 ? f - 0.5 : f + 0.5); }) };
    });
  };
  const clip8 = (s: number) => Math.min(255, Math.max(0, Math.floor(s / 2 ** 22)));
  let cur = img;
  if (width !== cur.width) {
    const cs = coeffs(cur.width, width);
    const out = new Uint8Array(width * cur.height * 3);
    for (let y = 0; y < cur.height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) {
      let s = 2 ** 21;
      cs[x].k.forEach((k, i) => { s += cur.data[(y * cur.width + cs[x].xmin + i) * 3 + c] * k; });
      out[(y * width + x) * 3 + c] = clip8(s);
    }
    cur = { width, height: cur.height, data: out };
  }
  if (height !== cur.height) {
    const cs = coeffs(cur.height, height);
    const out = new Uint8Array(cur.width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < cur.width; x++) for (let c = 0; c < 3; c++) {
      let s = 2 ** 21;
      cs[y].k.forEach((k, i) => { s += cur.data[((cs[y].xmin + i) * cur.width + x) * 3 + c] * k; });
      out[(y * cur.width + x) * 3 + c] = clip8(s);
    }
    cur = { width: cur.width, height, data: out };
  }
  return cur;
}

// Both builds of the passes: WebAssembly SIMD (resample.wat, the default) and the JS loops (its
// fallback where SIMD is missing).
describe.each([['WebAssembly SIMD', true], ['JS', false]] as const)('PIL resampling, optimised passes (%s)', (_name, simd) => {
  beforeAll(() => {
    setSimdResample(simd);
    expect(simdResampleAvailable()).toBe(simd); // Node 20 has WebAssembly SIMD: the first case really runs it
  });
  afterAll(() => setSimdResample(true));

  it('equal a plain transcription of Resample.c (random sizes, both filters, up and down, odd row counts)', () => {
    let s = 99;
    const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 8) % n; // high bits: an LCG's low bits alternate
    for (let t = 0; t < 60; t++) {
      const W = 1 + rnd(90), H = 1 + rnd(90);
      const img = { width: W, height: H, data: Uint8Array.from({ length: W * H * 3 }, () => (t % 5 === 0 ? 255 * rnd(2) : rnd(256))) };
      const w = 1 + rnd(70), h = 1 + rnd(70);
      const resample = t % 3 === 0 ? 2 : 3;
      expect(resizeBicubic(img, w, h, resample), `${W}×${H} → ${w}×${h}`).toEqual(pilResize(img, w, h, resample));
    }
  });

  it('a crop of the resize equals the same pixels of the full reference resize', () => {
    const img = { width: 80, height: 60, data: Uint8Array.from({ length: 80 * 60 * 3 }, (_, i) => (i * 7919) % 256) };
    const full = pilResize(img, 29, 22, 3);
    const crop = resizeCropped(img, 29, 22, 3, 3, 0, 22, 22);
    for (let y = 0; y < 22; y++) expect(crop.data.subarray(y * 66, y * 66 + 66)).toEqual(full.data.subarray((y * 29 + 3) * 3, (y * 29 + 25) * 3));
  });
});
