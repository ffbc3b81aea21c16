import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { decodeImage, setPlatformDecoder } from '../data/images/index.ts';
import { sharpDecoder } from '../../tools/cli/embedSharp.ts';
import { parseNpy } from '../core/io/npy.ts';
import {
  preprocessConfigFromJson, resizeAndCrop, toPixelValues, gridBoxes, regionImages, preprocessBatch, padToSquare, resizeBicubic, resizeCropped, cropRgb,
  type RgbImage,
} from './preprocess.ts';

const DIR = join(import.meta.dirname, '../../tests/fixtures/images');
interface Entry { name: string; mode: string; oriented_size: [number, number]; refs: Record<string, string>; grids?: Record<string, number[][]> }
const index = JSON.parse(readFileSync(join(DIR, 'ref/index.json'), 'utf8')) as { images: Entry[] };
const cfg = (s: number) => preprocessConfigFromJson({ size: { shortest_edge: s }, crop_size: { height: s, width: s } });

function refPng(rel: string): RgbImage {
  const p = decodePng(readFileSync(join(DIR, rel)));
  return { width: p.width, height: p.height, data: p.data as Uint8Array };
}
async function load(name: string) {
  return decodeImage(new Uint8Array(readFileSync(join(DIR, name))), name);
}
function diff(a: RgbImage, b: RgbImage): { max: number; mean: number } {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.data.length };
}
const maxDiff = (a: RgbImage, b: RgbImage) => diff(a, b).max;

// JPEG: our own decoder reproduces libjpeg-turbo (islow IDCT, fancy upsampling, colour tables),
// so JPEGs must match PIL exactly too, like every lossless format. CMYK JPEGs go through the
// jpeg-js fallback, whose CMYK→RGB differs from PIL's by a level here and there.
const TOLERANCE: Record<string, number> = { 'cmyk.jpg': 2 };

describe('preprocessing parity with PIL + CLIPImageProcessor', () => {
  beforeAll(() => setPlatformDecoder(sharpDecoder));

  for (const e of index.images) {
    it(`${e.name} (${e.mode})`, async () => {
      const img = await load(e.name);
      expect([img.width, img.height]).toEqual(e.oriented_size);
      for (const [size, rel] of Object.entries(e.refs)) {
        const d = diff(resizeAndCrop(img, cfg(Number(size))), refPng(rel));
        expect(d.max, `size ${size}`).toBeLessThanOrEqual(TOLERANCE[e.name] ?? 0);
      }
    });
  }

  it('normalised pixel_values equal the reference float32 arrays', async () => {
    const ref = parseNpy(new Uint8Array(readFileSync(join(DIR, 'ref/pixel_values_16.npy'))));
    expect(ref.shape).toEqual([index.images.length, 3, 16, 16]);
    let worst = 0;
    for (const [k, e] of index.images.entries()) {
      const pv = toPixelValues(resizeAndCrop(await load(e.name), cfg(16)), cfg(16));
      let m = 0;
      for (let i = 0; i < pv.length; i++) m = Math.max(m, Math.abs(pv[i] - ref.data[k * 768 + i]));
      if (!(e.name in TOLERANCE)) worst = Math.max(worst, m);
    }
    expect(worst).toBe(0); // bit-identical float32, JPEGs included
  });

  it('grid regions match PIL crops of the same boxes', async () => {
    const e = index.images.find((x) => x.grids)!;
    const img = await load(e.name);
    for (const n of [2, 3] as const) {
      expect(gridBoxes(img.width, img.height, n)).toEqual(e.grids![String(n)]);
      const regions = regionImages(img, n);
      expect(regions).toHaveLength(1 + n * n);
      regions.slice(1).forEach((r, k) => expect(maxDiff(resizeAndCrop(r, cfg(16)), refPng(`ref/${e.name}.grid${n}.${k}.s16.png`))).toBe(0));
    }
  });
});

describe('preprocessing details', () => {
  const img: RgbImage = { width: 5, height: 3, data: Uint8Array.from({ length: 45 }, (_, i) => (i * 37) % 256) };

  it('grid boxes overlap by a third of a crop and stay inside the image', () => {
    const b2 = gridBoxes(100, 60, 2);
    expect(b2).toEqual([[0, 0, 60, 36], [40, 0, 100, 36], [0, 24, 60, 60], [40, 24, 100, 60]]);
    for (const [x0, y0, x1, y1] of gridBoxes(37, 23, 3)) {
      expect(x0).toBeGreaterThanOrEqual(0);
      expect(y0).toBeGreaterThanOrEqual(0);
      expect(x1).toBeLessThanOrEqual(37);
      expect(y1).toBeLessThanOrEqual(23);
    }
  });

  it('batches are image-major with regions inside', () => {
    const { data, dims } = preprocessBatch([img, img], cfg(4), { grid: 2 });
    expect(dims).toEqual([10, 3, 4, 4]);
    expect(data.slice(0, 48)).toEqual(data.slice(5 * 48, 6 * 48));
  });

  it('pad-to-square keeps the whole image and pads with the mean colour', () => {
    const sq = padToSquare(img);
    expect([sq.width, sq.height]).toEqual([5, 5]);
    expect(Array.from(sq.data.slice(0, 3))).toEqual([123, 117, 104]);
    const { dims } = preprocessBatch([img], cfg(8), { pad: true });
    expect(dims).toEqual([1, 3, 8, 8]);
  });

  it('bilinear (resample=2) matches PIL too', async () => {
    // Reference: PIL Image.open('rgb_odd.png').resize((13, 29), resample=2)
    const r = resizeBicubic(await load('rgb_odd.png'), 13, 29, 2);
    expect(Array.from(r.data.slice(0, 12))).toEqual([230, 4, 32, 241, 0, 30, 242, 2, 31, 245, 1, 31]);
    expect(r.data.reduce((a, b) => a + b, 0)).toBe(137648);
  });

  it('resizing to the same size is the identity', () => {
    expect(resizeBicubic(img, 5, 3).data).toEqual(img.data);
  });

  it('reads preprocessor_config.json defaults', () => {
    const c = preprocessConfigFromJson({});
    expect(c.shortestEdge).toBe(224);
    expect(c.crop).toEqual({ height: 224, width: 224 });
    expect(preprocessConfigFromJson({ size: { height: 256, width: 256 }, crop_size: 256 }).resizeTo).toEqual({ height: 256, width: 256 });
  });
});

describe('resizeCropped', () => {
  it('is bit-identical to resizeBicubic followed by cropRgb (random sizes, crops, and one-axis resizes)', () => {
    let s = 12345;
    const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
    for (let t = 0; t < 120; t++) {
      const W = 5 + rnd(200), H = 5 + rnd(200);
      const img = { width: W, height: H, data: Uint8Array.from({ length: W * H * 3 }, () => rnd(256)) };
      const w = t % 10 === 0 ? W : 1 + rnd(150), h = t % 10 === 5 ? H : 1 + rnd(150);
      const cw = 1 + rnd(w), ch = 1 + rnd(h);
      const left = rnd(w - cw + 1), top = rnd(h - ch + 1);
      const resample = t % 3 === 0 ? 2 : 3;
      const want = cropRgb(resizeBicubic(img, w, h, resample), left, top, cw, ch);
      expect(resizeCropped(img, w, h, resample, left, top, cw, ch)).toEqual(want);
    }
  });
});
