/**
 * Our PNG decoder against an independent one (fast-png, which matched PIL on the fixtures before
 * png.ts replaced it in the app), on PNGs made here with every colour type, bit depth, both
 * interlace methods, every row filter, palettes shorter than the indices, suggested palettes in
 * truecolour files, ancillary chunks (gAMA, iCCP, tRNS) and IDAT split anywhere — decoded with
 * fflate and with the platform's native inflater (DecompressionStream), which must agree byte
 * for byte.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zlibSync } from 'fflate';
import { decode as fastPng } from 'fast-png';
import { decodePng, decodePngSync, defaultPngInflate, nativeInflate, nodeInflate, setPngInflate, type PngInflate } from './png.ts';
import { decodeImage } from './decode.ts';

const DIR = join(import.meta.dirname, '../../../tests/fixtures/images');

/**
 * The RGB that PIL's convert('RGB') gives, over fast-png (checked against PIL 9.4 on these
 * generated files; except 16-bit gray, where PIL clips to 255 and we keep the high byte).
 */
function oracle(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = fastPng(bytes, { checkCrc: true });
  const { width, height, depth, channels } = png;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  const sample = (i: number): number => {
    if (depth === 16) return (png.data as Uint16Array)[i] >>> 8;
    if (depth === 8) return png.data[i];
    const perRow = Math.ceil((width * depth) / 8);
    const y = Math.floor(i / width), x = i % width;
    const v = (png.data[y * perRow + ((x * depth) >> 3)] >> (8 - depth - ((x * depth) & 7))) & ((1 << depth) - 1);
    return png.palette && channels === 1 ? v : (v * 255) / ((1 << depth) - 1);
  };
  for (let i = 0; i < n; i++) {
    if (png.palette && channels === 1) {
      const v = sample(i);
      const c = png.palette[v] ?? [v, v, v]; // PIL: past the end of PLTE, its default gray ramp
      out.set([c[0], c[1], c[2]], i * 3);
    } else if (channels <= 2) out.fill(sample(i * channels), i * 3, i * 3 + 3);
    else out.set([sample(i * channels), sample(i * channels + 1), sample(i * channels + 2)], i * 3);
  }
  return { width, height, data: out };
}

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  let c = 0xffffffff;
  for (let i = 4; i < 8 + data.length; i++) c = crcTable[(c ^ out[i]) & 0xff] ^ (c >>> 8);
  v.setUint32(8 + data.length, (c ^ 0xffffffff) >>> 0);
  return out;
}
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const COMBOS: [number, number][] = [[0, 1], [0, 2], [0, 4], [0, 8], [0, 16], [2, 8], [2, 16], [3, 1], [3, 2], [3, 4], [3, 8], [4, 8], [4, 16], [6, 8], [6, 16]];
const CH: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

interface MakeOpts { colorType: number; depth: number; interlace: 0 | 1; width: number; height: number; seed: number; extraZlib?: 'junk' | 'long' | 'short' | 'bomb' }

/**
 * A PNG of a random image (the same pixels for both interlace methods of a seed), with a random
 * filter per row, applied as an encoder would.
 */
function makePng(o: MakeOpts): Uint8Array {
  const ri = rng(o.seed);
  const r = rng(o.seed * 7 + 1 + o.interlace);
  const { colorType, depth, width, height } = o;
  const ch = CH[colorType];
  const bppBits = ch * depth;
  const bpp = Math.max(1, bppBits >> 3);
  const max = 2 ** depth;
  // Sample values, pixel-major; every other image smooth, so Paeth/Average see real neighbours.
  const smooth = ri() < 0.5;
  const img = new Array<number>(width * height * ch);
  for (let i = 0; i < img.length; i++) img[i] = smooth && i >= ch ? (img[i - ch] + Math.floor(ri() * 5)) % max : Math.floor(ri() * max);
  const passes = o.interlace ? ADAM7 : [[0, 0, 1, 1]];
  const rawParts: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.max(0, Math.ceil((width - x0) / dx)), h = Math.max(0, Math.ceil((height - y0) / dy));
    if (w === 0 || h === 0) continue;
    const len = Math.ceil((w * bppBits) / 8);
    let prev = new Uint8Array(len);
    for (let y = 0; y < h; y++) {
      const line = new Uint8Array(len);
      let bit = 0;
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < ch; c++, bit += depth) {
          const v = img[((y0 + y * dy) * width + x0 + x * dx) * ch + c];
          if (depth === 16) line.set([v >> 8, v & 255], bit >> 3);
          else line[bit >> 3] |= v << (8 - depth - (bit & 7));
        }
      }
      const f = Math.floor(r() * 5);
      rawParts.push(f);
      for (let i = 0; i < len; i++) {
        const a = i >= bpp ? line[i - bpp] : 0, b = y > 0 ? prev[i] : 0, c = i >= bpp && y > 0 ? prev[i - bpp] : 0;
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
        rawParts.push((line[i] - pred) & 255);
      }
      prev = line;
    }
  }
  let raw = new Uint8Array(rawParts);
  if (o.extraZlib === 'long') raw = concat([raw, new Uint8Array(50).fill(7)]);
  if (o.extraZlib === 'bomb') raw = concat([raw, new Uint8Array(4 << 20)]); // 4 MB of zeros after a 540-byte image (past node:zlib's 1 MB margin)
  if (o.extraZlib === 'short') raw = raw.subarray(0, raw.length - 3);
  let z = zlibSync(raw, { level: (Math.floor(r() * 10) as 0) });
  if (o.extraZlib === 'junk') z = concat([z, new Uint8Array([1, 2, 3, 4, 5])]);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([depth, colorType, 0, 0, o.interlace], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (r() < 0.5) parts.push(chunk('gAMA', new Uint8Array([0, 0, 0xb1, 0x8f])));
  if (r() < 0.3) parts.push(chunk('iCCP', concat([new TextEncoder().encode('icc'), new Uint8Array([0, 0]), zlibSync(new Uint8Array(64).fill(3))])));
  const palLen = 1 + Math.floor(ri() * (1 << Math.min(depth, 8)));
  const pal = new Uint8Array(palLen * 3).map(() => Math.floor(ri() * 256));
  if (colorType === 3 || (colorType === 2 && r() < 0.5)) parts.push(chunk('PLTE', pal));
  if (colorType === 3 && r() < 0.5) parts.push(chunk('tRNS', new Uint8Array(Math.min(palLen, 5)).fill(100)));
  // (fast-png refuses a truecolour tRNS in images of fewer than 3 pixels; png.ts and PIL do not.)
  if (colorType === 2 && width * height >= 3 && r() < 0.3) parts.push(chunk('tRNS', new Uint8Array(6).fill(9)));
  // IDAT split at random places (sometimes into one-byte pieces, sometimes with an empty one).
  let at = 0;
  while (at < z.length) {
    const n = r() < 0.2 ? 1 : 1 + Math.floor(r() * z.length);
    parts.push(chunk('IDAT', z.subarray(at, at + n)));
    if (r() < 0.05) parts.push(chunk('IDAT', new Uint8Array(0)));
    at += n;
  }
  parts.push(chunk('IEND', new Uint8Array(0)));
  return concat(parts);
}

function cases(): MakeOpts[] {
  const out: MakeOpts[] = [];
  let seed = 1;
  for (const [colorType, depth] of COMBOS) {
    for (const interlace of [0, 1] as const) {
      for (const [width, height] of [[1, 1], [3, 2], [9, 7], [17, 13], [33, 5]]) out.push({ colorType, depth, interlace, width, height, seed: seed++ });
    }
  }
  return out;
}

describe('PNG decoder', () => {
  afterEach(() => setPngInflate(defaultPngInflate));
  const PATHS: [string, PngInflate | null][] = [['fflate', null], ['DecompressionStream', nativeInflate], ['node:zlib', nodeInflate]];

  it('equals fast-png + convert(RGB) on every colour type, depth, interlacing and filter (fflate)', async () => {
    setPngInflate(null);
    for (const c of cases()) {
      const b = makePng(c);
      // fast-png's Adam7 is wrong below 8 bits: the oracle decodes the same pixels stored plainly.
      const want = oracle(makePng({ ...c, interlace: 0 }));
      const got = await decodePng(b);
      expect([got.width, got.height], JSON.stringify(c)).toEqual([want.width, want.height]);
      expect(Buffer.from(got.data).equals(Buffer.from(want.data)), JSON.stringify(c)).toBe(true);
      expect(Buffer.from(decodePngSync(b).data).equals(Buffer.from(want.data))).toBe(true);
    }
  });

  it('gives the same bytes through the native inflaters (DecompressionStream, node:zlib), which Node uses by default', async () => {
    expect(defaultPngInflate).toBe(nodeInflate);
    for (const [name, inflate] of PATHS.slice(1)) {
      expect(inflate, name).not.toBeNull();
      let used = 0;
      setPngInflate(async (parts, n) => {
        const r = await inflate!(parts, n);
        if (r) used++;
        return r;
      });
      for (const c of cases()) {
        const b = makePng(c);
        expect(Buffer.from((await decodePng(b)).data).equals(Buffer.from(oracle(makePng({ ...c, interlace: 0 })).data)), `${name} ${JSON.stringify(c)}`).toBe(true);
      }
      expect(used, name).toBe(cases().length); // the native path really ran
    }
  });

  it('the fixtures (16-bit, gray+alpha, palette+tRNS, interlaced, bilevel, EXIF) decode the same on every path', async () => {
    for (const n of ['rgb_odd.png', 'gray16.png', 'palette_trns.png', 'interlaced.png', 'bilevel.png', 'gray.png', 'gray_alpha.png', 'gray_alpha16.png', 'rgb16.png', 'rgba.png', 'exif6.png', 'big.png']) {
      const b = new Uint8Array(readFileSync(join(DIR, n)));
      const want = oracle(b);
      for (const [name, inflate] of PATHS) {
        setPngInflate(inflate);
        expect(Buffer.from((await decodePng(b)).data).equals(Buffer.from(want.data)), `${n} ${name}`).toBe(true);
      }
    }
  });

  it('accepts what PIL accepts beyond the image: more data than needed (up to a zip bomb), bytes after the zlib stream (on every path)', async () => {
    for (const [, inflate] of PATHS) {
      setPngInflate(inflate);
      for (const extraZlib of ['long', 'junk', 'bomb'] as const) {
        const b = makePng({ colorType: 2, depth: 8, interlace: 0, width: 20, height: 9, seed: 5, extraZlib });
        const want = makePng({ colorType: 2, depth: 8, interlace: 0, width: 20, height: 9, seed: 5 });
        expect(Buffer.from((await decodePng(b)).data).equals(Buffer.from((await decodePng(want)).data)), extraZlib).toBe(true);
      }
    }
  });

  it('refuses damaged files with the reason, on every path', async () => {
    const good = makePng({ colorType: 6, depth: 8, interlace: 0, width: 12, height: 7, seed: 9 });
    const short = makePng({ colorType: 6, depth: 8, interlace: 0, width: 12, height: 7, seed: 9, extraZlib: 'short' });
    const crc = good.slice();
    crc[40] ^= 1;
    for (const [, inflate] of PATHS) {
      setPngInflate(inflate);
      await expect(decodePng(good.subarray(0, good.length - 30))).rejects.toThrow(/truncated/);
      await expect(decodePng(crc)).rejects.toThrow(/CRC mismatch in chunk/);
      await expect(decodePng(short)).rejects.toThrow(/image data ends early/);
    }
    const ihdrDepth = makePng({ colorType: 2, depth: 8, interlace: 0, width: 2, height: 2, seed: 1 });
    ihdrDepth[24] = 4; // RGB at 4 bits is not a PNG
    const fixed = concat([ihdrDepth.subarray(0, 8), chunk('IHDR', ihdrDepth.subarray(16, 29)), ihdrDepth.subarray(33)]);
    await expect(decodePng(fixed)).rejects.toThrow('bit depth 4 is not allowed for colour type 2');
    const err = await decodeImage(crc, 'x.png').catch((e) => e);
    expect(err.message).toMatch(/^x\.png: corrupt or unsupported PNG: CRC mismatch in chunk/);
  });
});
