/**
 * Our GIF reader against omggif (the library it replaced, kept as a dev dependency for this
 * comparison) on valid files: the PIL-written fixtures (one interlaced, one animated) and random
 * GIFs written by omggif's GifWriter — global and local palettes, transparency, frames offset
 * inside and reaching past the screen. On damaged LZW data it must return, not loop.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GifReader, GifWriter } from 'omggif';
import { decodeGif, lzwDecode } from './gif.ts';

const DIR = resolve(import.meta.dirname, '../../../tests/fixtures/images');

/** First frame as omggif draws it, with the same screen fill decodeGif documents. */
function viaOmggif(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const g = new GifReader(bytes);
  const { width, height } = g;
  const info = g.frameInfo(0);
  const rgba = new Uint8Array(width * height * 4);
  const pal = info.palette_offset!;
  const fill = info.transparent_index ?? 0;
  for (let i = 0; i < width * height; i++) rgba.set(bytes.subarray(pal + fill * 3, pal + fill * 3 + 3), i * 4);
  g.decodeAndBlitFrameRGBA(0, rgba);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgba.subarray(i * 4, i * 4 + 3), i * 3);
  return { width, height, data };
}

describe('GIF reader', () => {
  it('equals omggif on the PIL fixtures (interlaced with transparency; animated)', () => {
    for (const n of ['trns.gif', 'anim.gif']) {
      const b = new Uint8Array(readFileSync(resolve(DIR, n)));
      const ours = decodeGif(b);
      const ref = viaOmggif(b);
      expect([ours.width, ours.height], n).toEqual([ref.width, ref.height]);
      expect(Buffer.from(ours.data).equals(Buffer.from(ref.data)), n).toBe(true);
    }
  });

  it('equals omggif on random GIFs (palettes, transparency, offset frames)', () => {
    const gifArb = fc.record({
      w: fc.integer({ min: 1, max: 40 }), h: fc.integer({ min: 1, max: 40 }),
      bits: fc.integer({ min: 1, max: 8 }), local: fc.boolean(), transparent: fc.option(fc.nat({ max: 255 })),
      x: fc.nat({ max: 10 }), y: fc.nat({ max: 10 }), seed: fc.nat(), runs: fc.boolean(),
    });
    fc.assert(fc.property(gifArb, (g) => {
      const colours = 1 << g.bits;
      let s = g.seed;
      const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8);
      const palette = Array.from({ length: colours }, () => rnd() & 0xffffff);
      // Frame inside the screen (omggif does not clip frames that reach past it).
      const fw = Math.max(1, g.w - g.x), fh = Math.max(1, g.h - g.y);
      const x = Math.min(g.x, g.w - 1), y = Math.min(g.y, g.h - 1);
      // Long runs of one index make long LZW entries and fill the 4096-entry table on big frames.
      const px = Array.from({ length: fw * fh }, (_, i) => (g.runs ? Math.floor(i / 7) : rnd()) % colours);
      const buf = Buffer.alloc(4096 + fw * fh * 4);
      const wr = new GifWriter(buf, g.w, g.h, g.local ? {} : { palette });
      const opts: Record<string, unknown> = g.local ? { palette } : {};
      if (g.transparent !== null) opts.transparent = g.transparent % colours;
      wr.addFrame(x, y, Math.min(fw, g.w - x), Math.min(fh, g.h - y), px.slice(0, Math.min(fw, g.w - x) * Math.min(fh, g.h - y)), opts);
      const bytes = new Uint8Array(buf.subarray(0, wr.end()));
      const ours = decodeGif(bytes);
      const ref = viaOmggif(bytes);
      expect([ours.width, ours.height]).toEqual([ref.width, ref.height]);
      expect(Buffer.from(ours.data).equals(Buffer.from(ref.data))).toBe(true);
    }), { numRuns: 200 });
  });

  it('returns on damaged LZW data that sent omggif into an endless loop', () => {
    const b = new Uint8Array(readFileSync(resolve(DIR, 'anim.gif')));
    b[152] = 5;
    const img = decodeGif(b);
    expect([img.width, img.height]).toEqual([35, 27]);
  });

  it('LZW: a code past the next free entry stops the stream; clear codes reset the table', () => {
    // Minimum code size 2: clear 4, end 5, first free 6. Codes are 3 bits, LSB first, in one sub-block.
    const pack = (codes: number[]) => {
      let bits = 0, n = 0;
      const out: number[] = [];
      for (const c of codes) { bits |= c << n; n += 3; while (n >= 8) { out.push(bits & 255); bits >>>= 8; n -= 8; } }
      if (n > 0) out.push(bits & 255);
      return new Uint8Array([2, out.length, ...out, 0]);
    };
    const out = new Uint8Array(8);
    // 1, then 6: the entry being made ("1 1"), then 4 (clear), then 3.
    expect(lzwDecode(pack([4, 1, 6, 4, 3, 5]), 0, out)).toBe(4);
    expect(Array.from(out.subarray(0, 4))).toEqual([1, 1, 1, 3]);
    // After a clear, 6 is free again: a 6 right after the first code means "3 3", not "1 1".
    expect(lzwDecode(pack([4, 1, 6, 4, 3, 6, 5]), 0, out)).toBe(6);
    expect(Array.from(out.subarray(0, 6))).toEqual([1, 1, 1, 3, 3, 3]);
    const bad = new Uint8Array(8);
    // 1, then 7: two past the next free entry (6) — invalid, decoding stops after the 1.
    expect(lzwDecode(pack([4, 1, 7, 2, 5]), 0, bad)).toBe(1);
  });
});
