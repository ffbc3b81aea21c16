import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBatch, decodeImage, ImageDecodeError, setPlatformDecoder, thumbnail, encodeJpeg, sniffFormat } from './index.ts';
import { sharpDecoder } from '../../../tools/cli/embedSharp.ts';

const DIR = join(import.meta.dirname, '../../../tests/fixtures/images');
const file = (n: string) => new Uint8Array(readFileSync(join(DIR, n)));

describe('image decoding', () => {
  beforeAll(() => setPlatformDecoder(sharpDecoder));

  it('decodes every fixture format to RGB', async () => {
    for (const n of ['rgb_odd.png', 'gray16.png', 'palette_trns.png', 'anim.gif', 'rgb24.bmp', 'pal8.bmp', 'photo420.jpg', 'restart420.jpg', 'cmyk.jpg', 'lossless.webp']) {
      const img = await decodeImage(file(n), n);
      expect(img.data.length, n).toBe(img.width * img.height * 3);
    }
  });

  it('applies EXIF orientation (6 and 8 swap width and height)', async () => {
    const six = await decodeImage(file('exif6.jpg'), 'exif6.jpg');
    expect([six.width, six.height, six.storedWidth, six.orientation]).toEqual([32, 48, 48, 6]);
    const raw = await decodeImage(file('exif6.jpg'), 'exif6.jpg', { applyOrientation: false });
    expect([raw.width, raw.height]).toEqual([48, 32]);
    // Orientation 6: output (x, y) comes from stored (y, H-1-x).
    const px = (im: { width: number; data: Uint8Array }, x: number, y: number) => Array.from(im.data.slice((y * im.width + x) * 3, (y * im.width + x) * 3 + 3));
    for (const [x, y] of [[5, 7], [0, 0], [31, 47]]) expect(px(six, x, y)).toEqual(px(raw, y, 31 - x));
  });

  it('names the file and the reason for corrupt or unsupported input, and the batch goes on', async () => {
    const results = await decodeBatch([
      { name: 'corrupt_truncated.png', bytes: file('corrupt_truncated.png') },
      { name: 'not_an_image.jpg', bytes: file('not_an_image.jpg') },
      { name: 'empty.png', bytes: new Uint8Array(0) },
      { name: 'cut.jpg', bytes: file('photo420.jpg').slice(0, 300) },
      { name: 'rgb_odd.png', bytes: file('rgb_odd.png') },
    ]);
    expect(results.map((r) => ('error' in r ? 'error' : 'ok'))).toEqual(['error', 'error', 'error', 'error', 'ok']);
    const msgs = results.flatMap((r) => ('error' in r ? [r.error.message] : []));
    expect(msgs[0]).toMatch(/^corrupt_truncated\.png: corrupt or unsupported PNG/);
    expect(msgs[1]).toBe('not_an_image.jpg: not a supported image (PNG, JPEG, GIF, BMP or WebP expected)');
    expect(msgs[2]).toBe('empty.png: empty file');
    expect(msgs[3]).toMatch(/^cut\.jpg: corrupt or unsupported JPEG/);
  });

  it('refuses images above the pixel limit before decoding', async () => {
    const err = await decodeImage(file('big.png'), 'big.png', { maxPixels: 10_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect(err.message).toBe('big.png: image is 320×240 = 0.1 MP, above the 0.0 MP limit');
  });

  it('box-reduces images above reduceAbove, keeping orientation and reporting the factor', async () => {
    const img = await decodeImage(file('big.png'), 'big.png', { reduceAbove: 20_000 });
    expect([img.width, img.height, img.reducedBy, img.storedWidth]).toEqual([160, 120, 2, 320]);
    const full = await decodeImage(file('big.png'), 'big.png');
    expect(full.reducedBy).toBe(1);
    const mean = (x: number, y: number, c: number) => (full.data[(y * 320 + x) * 3 + c] + full.data[(y * 320 + x + 1) * 3 + c] + full.data[((y + 1) * 320 + x) * 3 + c] + full.data[((y + 1) * 320 + x + 1) * 3 + c]) / 4;
    expect(img.data[(5 * 160 + 7) * 3 + 1]).toBe(Math.round(mean(14, 10, 1)));
    const six = await decodeImage(file('exif6.jpg'), 'exif6.jpg', { reduceAbove: 500 });
    expect([six.width, six.height, six.reducedBy]).toEqual([16, 24, 2]);
  });

  it('sniffs by content, not by extension', () => {
    expect(sniffFormat(file('lossless.webp'))).toBe('webp');
    expect(sniffFormat(file('not_an_image.jpg'))).toBeNull();
  });

  it('makes thumbnails that fit and encode', async () => {
    const img = await decodeImage(file('big.png'), 'big.png');
    const t = thumbnail(img, 64);
    expect([t.width, t.height]).toEqual([64, 48]);
    const jpg = encodeJpeg(t);
    expect(sniffFormat(jpg)).toBe('jpeg');
    expect(thumbnail(t, 100)).toBe(t);
  });
});
