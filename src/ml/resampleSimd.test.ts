import { describe, it, expect, afterEach } from 'vitest';
import fc from 'fast-check';
import { resizeCropped, resizeAndCrop, preprocessConfigFromJson, type RgbImage } from './preprocess.ts';
import { setSimdResample, simdResampleAvailable } from './resampleSimd.ts';

/** The same call through both builds of the passes. */
function both(img: RgbImage, w: number, h: number, resample: 2 | 3, left: number, top: number, cw: number, ch: number) {
  setSimdResample(true);
  const simd = resizeCropped(img, w, h, resample, left, top, cw, ch);
  setSimdResample(false);
  const js = resizeCropped(img, w, h, resample, left, top, cw, ch);
  setSimdResample(true);
  return { simd, js };
}

function noise(W: number, H: number, seed: number): RgbImage {
  let s = seed >>> 0 || 1;
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  return { width: W, height: H, data };
}

describe('resample.wat (WebAssembly SIMD passes)', () => {
  afterEach(() => setSimdResample(true));

  it('is in use in Node 20, and can be turned off', () => {
    expect(simdResampleAvailable()).toBe(true);
    setSimdResample(false);
    expect(simdResampleAvailable()).toBe(false);
  });

  it('gives the same bytes as the JS passes for any size, crop and filter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 90 }),
        fc.constantFrom(2 as const, 3 as const), fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.integer(),
        (W, H, w, h, resample, a, b, c, d, seed) => {
          const cw = 1 + (a % w), ch = 1 + (b % h);
          const left = c % (w - cw + 1), top = d % (h - ch + 1);
          const { simd, js } = both(noise(W, H, seed), w, h, resample, left, top, cw, ch);
          expect(simd).toEqual(js);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps sizes apart between calls: a small image after a big one, saturated and flat inputs', () => {
    const big = both(noise(640, 480, 7), 299, 224, 3, 37, 0, 224, 224);
    expect(big.simd).toEqual(big.js);
    for (const fill of [0, 255]) {
      const flat = { width: 33, height: 17, data: new Uint8Array(33 * 17 * 3).fill(fill) };
      const r = both(flat, 20, 9, 3, 0, 0, 20, 9);
      expect(r.simd).toEqual(r.js);
      expect(r.simd.data.every((v) => v === fill)).toBe(true); // bicubic overshoot clamps at the ends
    }
    // Black/white stripes: the negative lobes push sums below 0 and above 255.
    const stripes = { width: 64, height: 64, data: Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => (((i / 3) | 0) % 2 ? 255 : 0)) };
    const s = both(stripes, 41, 23, 3, 0, 0, 41, 23);
    expect(s.simd).toEqual(s.js);
  });

  it('handles an image too big to keep its memory (an instance of its own) and the shared one after it', () => {
    const huge = noise(5000, 4600, 3); // 69 MB of RGB: above the 64 MB kept between calls
    const cfg = preprocessConfigFromJson({ size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 } });
    setSimdResample(true);
    const a = resizeAndCrop(huge, cfg);
    setSimdResample(false);
    const b = resizeAndCrop(huge, cfg);
    setSimdResample(true);
    expect(a).toEqual(b);
    const small = both(noise(50, 40, 9), 30, 24, 3, 3, 0, 24, 24);
    expect(small.simd).toEqual(small.js);
  });
});
