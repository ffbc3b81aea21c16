// Preparing one batch on two workers ('burst' schedule) must answer exactly as one worker does:
// the same pixels in the same order, failures at their request positions, thumbnails in order.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitPrepare } from './embedPrepClient.ts';
import { prepareBatch, type PrepFile, type PrepThumbs } from './embedPrep.ts';
import { decodeImage, encodeJpeg, thumbnail } from '../data/images/index.ts';
import { preprocessConfigFromJson, type PreprocessConfig, type RegionOptions } from '../ml/preprocess.ts';

const IMAGES = join(import.meta.dirname, '../../tests/fixtures/images');
const file = (id: string): PrepFile => ({ id, bytes: new Uint8Array(readFileSync(join(IMAGES, id))) });
const cfg = preprocessConfigFromJson(JSON.parse(readFileSync(join(import.meta.dirname, '../../models/tiny-clip/preprocessor_config.json'), 'utf8')));
const inline = (f: PrepFile[], c: PreprocessConfig, r: RegionOptions, t?: PrepThumbs) =>
  prepareBatch(f, c, r, (b, n) => decodeImage(b, n), t, (img, side) => encodeJpeg(thumbnail(img, side)));

describe('a batch prepared on two workers', () => {
  const files = ['rgb_odd.png', 'not_an_image.jpg', 'gray.png', 'anim.gif', 'corrupt_truncated.png', 'photo420.jpg', 'pal8.bmp'].map(file);
  for (const grid of [1, 2] as const) {
    it(`answers as one worker does (grid ${grid}, failures in both halves, thumbnails)`, async () => {
      const thumbs: PrepThumbs = { side: 24, only: [file('rgba.png'), file('not_an_image.jpg')] };
      const one = await inline(files, cfg, { grid }, thumbs);
      const two = await splitPrepare([inline, inline])(files, cfg, { grid }, thumbs);
      expect(two.ok).toEqual(one.ok);
      expect(two.errors).toEqual(one.errors);
      expect(two.dims).toEqual(one.dims);
      expect(Buffer.from(two.pixels.buffer, two.pixels.byteOffset, two.pixels.byteLength).equals(Buffer.from(one.pixels.buffer, one.pixels.byteOffset, one.pixels.byteLength))).toBe(true);
      expect(two.thumbs!.map((t) => t?.length ?? null)).toEqual(one.thumbs!.map((t) => t?.length ?? null));
      expect(two.onlyThumbs!.map((t) => t?.length ?? null)).toEqual(one.onlyThumbs!.map((t) => t?.length ?? null));
      expect(one.errors.map((e) => e.index)).toEqual([1, 4]);
    });
  }
  it('a batch smaller than the workers, and one where every file fails', async () => {
    const solo = [file('gray.png')];
    expect(await splitPrepare([inline, inline])(solo, cfg, { grid: 1 })).toEqual(await inline(solo, cfg, { grid: 1 }));
    const bad = [file('not_an_image.jpg'), file('corrupt_truncated.png'), file('not_an_image.jpg')];
    expect(await splitPrepare([inline, inline])(bad, cfg, { grid: 1 })).toEqual(await inline(bad, cfg, { grid: 1 }));
  });

  it('hands files to whichever worker is free: a slowed worker takes fewer, and the answer is unchanged', async () => {
    const batch = ['gray.png', 'photo420.jpg', 'rgb_odd.png', 'pal8.bmp', 'anim.gif', 'gray.png', 'photo420.jpg', 'rgb_odd.png'].map(file);
    const taken = [0, 0];
    const counted = (k: number, delayMs: number) => async (f: PrepFile[], c: PreprocessConfig, r: RegionOptions, t?: PrepThumbs) => {
      taken[k] += f.length;
      await new Promise((res) => setTimeout(res, delayMs));
      return inline(f, c, r, t);
    };
    const got = await splitPrepare([counted(0, 60), counted(1, 0)])(batch, cfg, { grid: 1 });
    expect(got).toEqual(await inline(batch, cfg, { grid: 1 }));
    expect(taken[0] + taken[1]).toBe(batch.length);
    expect(taken[1]).toBeGreaterThan(taken[0] + 2); // two fixed halves would give 4 and 4
  });
});
