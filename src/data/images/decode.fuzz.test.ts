/**
 * Fuzzing decodeImage with damaged copies of the real fixtures (tests/fixtures/images):
 * truncated, flipped, spliced. Every outcome is a valid RGB image or an ImageDecodeError naming
 * the file — never another exception — and no damaged file takes long (no hangs).
 */
import { beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeImage, ImageDecodeError } from './index.ts';
import { mutate, mutationsArb } from '../../../tests/nasty/mutate.ts';

const DIR = resolve(import.meta.dirname, '../../../tests/fixtures/images');
const NAMES = ['rgba.png', 'palette_trns.png', 'interlaced.png', 'gray16.png', 'photo420.jpg', 'progressive.jpg', 'restart420.jpg', 'cmyk.jpg', 'exif6.jpg', 'trns.gif', 'anim.gif', 'rgb24.bmp', 'pal8.bmp'];
const FILES = NAMES.map((n) => new Uint8Array(readFileSync(resolve(DIR, n))));

async function check(bytes: Uint8Array) {
  const t0 = performance.now();
  try {
    // A 4 MP cap keeps a damaged header that declares a big image cheap to refuse or decode.
    const img = await decodeImage(bytes, 'f', { maxPixels: 4_000_000 });
    expect(img.data.length).toBe(img.width * img.height * 3);
    expect(img.width).toBeGreaterThan(0);
  } catch (e) {
    expect(e).toBeInstanceOf(ImageDecodeError);
    expect((e as ImageDecodeError).file).toBe('f');
    expect((e as ImageDecodeError).reason.length).toBeGreaterThan(5);
  }
  expect(performance.now() - t0).toBeLessThan(3000);
}

describe('decodeImage (fuzz)', () => {
  // Some decoders console.log warnings for damaged files: keep the output clean.
  beforeAll(() => { vi.spyOn(console, 'log').mockImplementation(() => undefined); });
  afterAll(() => { vi.restoreAllMocks(); });
  it('the undamaged fixtures decode', async () => {
    for (const b of FILES) await check(b);
  });
  it('damaged PNG/JPEG/GIF/BMP files give an image or an ImageDecodeError, quickly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: FILES.length - 1 }), mutationsArb, async (k, ms) => { await check(mutate(FILES[k], ms)); }),
      { numRuns: 400 },
    );
  });
  it('random bytes behind each signature give an ImageDecodeError', async () => {
    const sigs = [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0xff, 0xd8, 0xff], [0x47, 0x49, 0x46, 0x38, 0x39, 0x61], [0x42, 0x4d], []];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sigs), fc.uint8Array({ maxLength: 120 }), async (sig, rest) => { await check(new Uint8Array([...sig, ...rest])); }),
      { numRuns: 300 },
    );
  });
});
