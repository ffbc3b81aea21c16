import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from './decode.ts';
import { corrupt, CORRUPTIONS, SEVERITIES } from './corrupt.ts';
import type { RgbImage } from './types.ts';

// A real demo photo (128 px JPEG): the corruptions must behave on the images they are made for.
const FILE = join(import.meta.dirname, '../../../public/demo/images/holdout-0000.jpg');
const load = async () => decodeImage(new Uint8Array(readFileSync(FILE)), 'holdout-0000.jpg');
const mean = (im: RgbImage) => im.data.reduce((s, v) => s + v, 0) / im.data.length;
const std = (im: RgbImage) => {
  const m = mean(im);
  return Math.sqrt(im.data.reduce((s, v) => s + (v - m) ** 2, 0) / im.data.length);
};
const mad = (a: RgbImage, b: RgbImage) => a.data.reduce((s, v, k) => s + Math.abs(v - b.data[k]), 0) / a.data.length;

describe('shift simulator corruptions', () => {
  it('every corruption moves the image further from the original as severity rises, and leaves the input alone', async () => {
    const img = await load();
    const copy = img.data.slice();
    for (const kind of CORRUPTIONS) {
      const d = SEVERITIES.map((severity) => mad(corrupt(img, { kind, severity }), img));
      for (let s = 1; s < d.length; s++) expect(d[s], `${kind} severity ${s + 1}`).toBeGreaterThan(d[s - 1]);
      expect(d[0]).toBeGreaterThan(0.5);
    }
    expect(img.data).toEqual(copy);
  });

  it('each does what its name says', async () => {
    const img = await load();
    expect(mean(corrupt(img, { kind: 'darken', severity: 3 }))).toBeLessThan(0.5 * mean(img));
    expect(std(corrupt(img, { kind: 'contrast', severity: 3 }))).toBeLessThan(0.4 * std(img));
    expect(Math.abs(mean(corrupt(img, { kind: 'contrast', severity: 5 })) - mean(img))).toBeLessThan(2);
    const hazy = corrupt(img, { kind: 'haze', severity: 4 });
    expect(mean(hazy)).toBeGreaterThan(mean(img));
    expect(std(hazy)).toBeLessThan(0.75 * std(img));
    expect(Math.abs(mean(corrupt(img, { kind: 'noise', severity: 2 })) - mean(img))).toBeLessThan(3);
  });

  it('is deterministic for a seed; noise and haze change with the seed', async () => {
    const img = await load();
    for (const kind of CORRUPTIONS) expect(corrupt(img, { kind, severity: 2, seed: 3 }).data).toEqual(corrupt(img, { kind, severity: 2, seed: 3 }).data);
    expect(corrupt(img, { kind: 'noise', severity: 2, seed: 1 }).data).not.toEqual(corrupt(img, { kind: 'noise', severity: 2, seed: 2 }).data);
    expect(corrupt(img, { kind: 'haze', severity: 2, seed: 1 }).data).not.toEqual(corrupt(img, { kind: 'haze', severity: 2, seed: 2 }).data);
  });

  it('refuses bad requests with the reason', async () => {
    const img = await load();
    expect(() => corrupt(img, { kind: 'darken', severity: 6 })).toThrow('corruption severity must be 1 to 5, got 6');
    expect(() => corrupt(img, { kind: 'blur' as never, severity: 1 })).toThrow('unknown corruption "blur"');
    expect(() => corrupt({ width: 2, height: 2, data: new Uint8Array(5) }, { kind: 'noise', severity: 1 })).toThrow('image data has 5 bytes, expected 2×2×3');
  });
});
