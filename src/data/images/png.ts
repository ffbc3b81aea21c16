import { Unzlib, unzlibSync } from 'fflate';
import type { RgbImage } from './types.ts';

/**
 * PNG → RGB with PIL's convert('RGB') semantics: palette indices look up their colour (an index
 * past the end of PLTE gives gray (i, i, i), PIL's default palette), gray is replicated, alpha and tRNS transparency are dropped.
 * Sub-byte gray is scaled to 8 bits as PIL's unpackers do (1-bit: ×255, 2-bit: ×85, 4-bit: ×17).
 * 16-bit samples keep their high byte, as PIL does for RGB/RGBA/LA; for 16-bit gray PIL 9.4
 * would clip at 255 (a white image) — we keep the high byte there too, deliberately
 * (tests/fixtures/images/ref/index.json records it). Ancillary chunks (gAMA, cHRM, sRGB, iCCP…)
 * never change the pixels, as in PIL. A PLTE in a truecolour file is only a suggestion and is
 * ignored.
 *
 * Our own decoder rather than a library's, for speed (an 800×600 photo PNG took 40–60 ms through
 * fast-png): the chunks are read in place, the zlib stream is inflated straight into one buffer
 * of the exact size, each row is unfiltered straight into the RGB output when the file is 8-bit
 * RGB (otherwise in place, then converted), and nothing is allocated per row or per pixel.
 *
 * Inflating is the bulk of the work. It goes through the platform's native zlib: in a browser or
 * worker DecompressionStream (~1.8× faster than fflate in Chromium), in Node its zlib module;
 * any stream the native path refuses (e.g. bytes after the end of the zlib stream, which PIL
 * tolerates, or a bad Adler-32, which PIL never reads) goes through fflate. Inflating is exact, so both give the same bytes; a file is refused
 * only when fflate refuses it too, so Node and the browser accept the same files.
 */

/** Inflates a zlib stream given in pieces; resolves with the first `expected` bytes or fewer, or null to fall back to fflate. */
export type PngInflate = (parts: Uint8Array[], expected: number) => Promise<Uint8Array | null>;

const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';

/** DecompressionStream: native zlib in browsers and workers (Node's goes through slow JS streams). */
export const nativeInflate: PngInflate | null = typeof DecompressionStream === 'function'
  ? async (parts, expected) => {
    try {
      const ds = new DecompressionStream('deflate');
      const writer = ds.writable.getWriter();
      // Errors surface through the reader; the writer's promises must not reject unhandled.
      for (const p of parts) writer.write(p as Uint8Array<ArrayBuffer>).catch(() => undefined);
      writer.close().catch(() => undefined);
      const reader = ds.readable.getReader();
      const out = new Uint8Array(expected);
      let o = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (o >= expected) continue; // data past the image is ignored, as PIL does
        const n = Math.min(value.length, expected - o);
        out.set(n === value.length ? value : value.subarray(0, n), o);
        o += n;
      }
      return o === expected ? out : out.subarray(0, o);
    } catch {
      return null;
    }
  }
  : null;

const concat = (parts: Uint8Array[]): Uint8Array => {
  if (parts.length === 1) return parts[0];
  const z = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    z.set(p, o);
    o += p.length;
  }
  return z;
};

type NodeZlib = { inflateSync(b: Uint8Array, o?: { maxOutputLength?: number }): Uint8Array };
const nodeZlib = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:zlib') as NodeZlib | undefined;

/** Node's zlib (reached without an import, so bundles for the browser never see it; Node ≥ 20.16). */
export const nodeInflate: PngInflate | null = nodeZlib
  ? async (parts, expected) => {
    try {
      // A stream far longer than the image (a "zip bomb") is left to fflate, which stops at the image.
      const out = nodeZlib.inflateSync(concat(parts), { maxOutputLength: expected + (1 << 20) });
      return out.length > expected ? out.subarray(0, expected) : out;
    } catch {
      return null;
    }
  }
  : null;

let inflater: PngInflate | null = isNode ? nodeInflate : nativeInflate;

/** Replace the inflater (null: fflate only). Tests use it to run every path. */
export function setPngInflate(f: PngInflate | null): void {
  inflater = f;
}

/** The inflater in use by default here: Node's zlib in Node, DecompressionStream in browsers and workers. */
export const defaultPngInflate = inflater;

function fflateInflate(parts: Uint8Array[], expected: number): Uint8Array {
  const z = concat(parts);
  // Straight into a buffer of the exact size; a smaller result means the stream ended early.
  // fflate cannot grow a given buffer, and a stored block running past it throws: a stream with
  // more data than the image needs goes again through the streaming inflater, which keeps the
  // first `expected` bytes and drops the rest as it goes (as PIL ignores it; memory stays bounded).
  try {
    return unzlibSync(z, { out: new Uint8Array(expected) });
  } catch {
    const out = new Uint8Array(expected);
    let o = 0;
    const u = new Unzlib((d) => {
      const n = Math.min(d.length, expected - o);
      if (n > 0) out.set(n === d.length ? d : d.subarray(0, n), o);
      o += n;
    });
    u.push(z, true);
    return out.subarray(0, o);
  }
}

// ---------------------------------------------------------------------------------------------

/** CRC-32 tables for slicing by 8 (table k: the CRC of a byte followed by k zero bytes). */
const CRC = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >>> 8) ^ t[t[(k - 1) * 256 + n] & 255];
  return t;
})();

/** CRC-32 of b[start, end), eight bytes per step (~3× the byte-wise loop). */
function crc32(b: Uint8Array, start: number, end: number): number {
  const t = CRC;
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
    c = t[1792 + (a & 255)] ^ t[1536 + ((a >>> 8) & 255)] ^ t[1280 + ((a >>> 16) & 255)] ^ t[1024 + (a >>> 24)]
      ^ t[768 + b[i + 4]] ^ t[512 + b[i + 5]] ^ t[256 + b[i + 6]] ^ t[b[i + 7]];
  }
  for (; i < end; i++) c = t[(c ^ b[i]) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

/** Samples per pixel of each colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

const chunkName = (b: Uint8Array, p: number) => String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3]);

/** Reads the chunks: header, palette and the IDAT pieces (views into `bytes`, not copies). */
function readChunks(bytes: Uint8Array): { hdr: Header; palette: Uint8Array | null; idat: Uint8Array[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  let hdr: Header | null = null;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  for (;;) {
    if (p + 12 > bytes.length) throw new Error('file ends before the IEND chunk (truncated)');
    const len = v.getUint32(p);
    const type = chunkName(bytes, p + 4);
    const data = p + 8;
    if (len > bytes.length - data - 4) throw new Error(`chunk ${type} is longer than the file (truncated)`);
    if (crc32(bytes, p + 4, data + len) !== v.getUint32(data + len)) throw new Error(`CRC mismatch in chunk ${type}`);
    if (!hdr && type !== 'IHDR') throw new Error(`first chunk is ${type}, expected IHDR`);
    switch (type) {
      case 'IHDR': {
        if (len !== 13) throw new Error(`IHDR has ${len} bytes, expected 13`);
        hdr = { width: v.getUint32(data), height: v.getUint32(data + 4), depth: bytes[data + 8], colorType: bytes[data + 9], interlace: bytes[data + 12] };
        if (!(hdr.colorType in CHANNELS)) throw new Error(`unknown colour type ${hdr.colorType}`);
        if (!DEPTHS[hdr.colorType].includes(hdr.depth)) throw new Error(`bit depth ${hdr.depth} is not allowed for colour type ${hdr.colorType}`);
        if (bytes[data + 10] !== 0) throw new Error(`unknown compression method ${bytes[data + 10]}`);
        if (bytes[data + 11] !== 0) throw new Error(`unknown filter method ${bytes[data + 11]}`);
        if (hdr.interlace > 1) throw new Error(`unknown interlace method ${hdr.interlace}`);
        if (hdr.width === 0 || hdr.height === 0) throw new Error(`image is ${hdr.width}×${hdr.height}`);
        break;
      }
      case 'PLTE':
        if (len % 3 !== 0) throw new Error(`PLTE has ${len} bytes, not a multiple of 3`);
        palette = bytes.subarray(data, data + len);
        break;
      case 'IDAT':
        if (len > 0) idat.push(bytes.subarray(data, data + len));
        break;
    }
    p = data + len + 4;
    if (type === 'IEND') break;
  }
  if (!hdr) throw new Error('no IHDR chunk');
  if (idat.length === 0) throw new Error('no image data (IDAT)');
  if (hdr.colorType === 3 && !palette) throw new Error('palette image without a PLTE chunk');
  return { hdr, palette: hdr.colorType === 3 ? palette : null, idat };
}

/** Bytes per scanline (without the filter byte) of a `w`-pixel row. */
const lineBytes = (w: number, hdr: Header) => Math.ceil((w * CHANNELS[hdr.colorType] * hdr.depth) / 8);

/** Adam7 passes: [x0, y0, dx, dy]. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

interface Pass { x0: number; y0: number; dx: number; dy: number; w: number; h: number }

function passes(hdr: Header): Pass[] {
  if (hdr.interlace === 0) return [{ x0: 0, y0: 0, dx: 1, dy: 1, w: hdr.width, h: hdr.height }];
  return ADAM7.map(([x0, y0, dx, dy]) => ({
    x0, y0, dx, dy,
    w: Math.max(0, Math.ceil((hdr.width - x0) / dx)),
    h: Math.max(0, Math.ceil((hdr.height - y0) / dy)),
  })).filter((q) => q.w > 0 && q.h > 0);
}

/**
 * Reverses one scanline's filter: the filtered bytes are src[s, s+len); the result goes to
 * dst[d, d+len) (may be the same place); the previous reconstructed line is dst[prev…] (prev < 0:
 * first line of its pass, all zeros). `bpp` is bytes per complete pixel, at least 1.
 */
function unfilter(src: Uint8Array, s: number, dst: Uint8Array, d: number, prev: number, len: number, bpp: number, type: number): void {
  switch (type) {
    case 0:
      if (src !== dst || s !== d) dst.set(src.subarray(s, s + len), d);
      return;
    case 1: {
      for (let i = 0; i < bpp && i < len; i++) dst[d + i] = src[s + i];
      for (let i = bpp; i < len; i++) dst[d + i] = (src[s + i] + dst[d + i - bpp]) & 255;
      return;
    }
    case 2:
      if (prev < 0) {
        if (src !== dst || s !== d) dst.set(src.subarray(s, s + len), d);
      } else {
        for (let i = 0; i < len; i++) dst[d + i] = (src[s + i] + dst[prev + i]) & 255;
      }
      return;
    case 3:
      if (prev < 0) {
        for (let i = 0; i < bpp && i < len; i++) dst[d + i] = src[s + i];
        for (let i = bpp; i < len; i++) dst[d + i] = (src[s + i] + (dst[d + i - bpp] >> 1)) & 255;
      } else {
        for (let i = 0; i < bpp && i < len; i++) dst[d + i] = (src[s + i] + (dst[prev + i] >> 1)) & 255;
        for (let i = bpp; i < len; i++) dst[d + i] = (src[s + i] + ((dst[d + i - bpp] + dst[prev + i]) >> 1)) & 255;
      }
      return;
    case 4:
      if (prev < 0) {
        // Above and upper-left are zero: Paeth picks the left byte, as Sub.
        for (let i = 0; i < bpp && i < len; i++) dst[d + i] = src[s + i];
        for (let i = bpp; i < len; i++) dst[d + i] = (src[s + i] + dst[d + i - bpp]) & 255;
      } else {
        for (let i = 0; i < bpp && i < len; i++) dst[d + i] = (src[s + i] + dst[prev + i]) & 255;
        for (let i = bpp; i < len; i++) {
          const a = dst[d + i - bpp], b = dst[prev + i], c = dst[prev + i - bpp];
          const pa = b > c ? b - c : c - b; // |p − a| with p = a + b − c
          const pb = a > c ? a - c : c - a; // |p − b|
          const pc0 = a + b - c - c;
          const pc = pc0 < 0 ? -pc0 : pc0; // |p − c|
          const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          dst[d + i] = (src[s + i] + pred) & 255;
        }
      }
      return;
    default:
      throw new Error(`unknown row filter ${type}`);
  }
}

/**
 * Writes the RGB of one reconstructed line (line[l…], `w` pixels) to out at pixels o, o+step, ….
 */
function convertLine(line: Uint8Array, l: number, w: number, hdr: Header, palette: Uint8Array | null, out: Uint8Array, o: number, step: number): void {
  const { depth, colorType } = hdr;
  const st = step * 3;
  let q = o * 3;
  if (depth < 8) {
    const mask = (1 << depth) - 1;
    const perByte = 8 / depth;
    const scale = 255 / mask;
    const nPal = palette ? palette.length / 3 : 0;
    for (let x = 0; x < w; x++, q += st) {
      const v = (line[l + ((x / perByte) | 0)] >> (8 - depth - (x % perByte) * depth)) & mask;
      if (palette) {
        if (v < nPal) {
          out[q] = palette[v * 3];
          out[q + 1] = palette[v * 3 + 1];
          out[q + 2] = palette[v * 3 + 2];
        } else out[q] = out[q + 1] = out[q + 2] = v;
      } else out[q] = out[q + 1] = out[q + 2] = v * scale;
    }
    return;
  }
  const bps = depth >> 3; // bytes per sample; for 16-bit the first (high) byte is kept
  const bpp = CHANNELS[colorType] * bps;
  let p = l;
  if (colorType === 3) {
    const nPal = palette!.length / 3;
    for (let x = 0; x < w; x++, q += st, p++) {
      const v = line[p];
      if (v < nPal) {
        out[q] = palette![v * 3];
        out[q + 1] = palette![v * 3 + 1];
        out[q + 2] = palette![v * 3 + 2];
      } else out[q] = out[q + 1] = out[q + 2] = v;
    }
  } else if (colorType === 0 || colorType === 4) {
    for (let x = 0; x < w; x++, q += st, p += bpp) out[q] = out[q + 1] = out[q + 2] = line[p];
  } else {
    for (let x = 0; x < w; x++, q += st, p += bpp) {
      out[q] = line[p];
      out[q + 1] = line[p + bps];
      out[q + 2] = line[p + 2 * bps];
    }
  }
}

/** Unfilters the inflated scanlines and writes RGB. */
function reconstruct(raw: Uint8Array, hdr: Header, palette: Uint8Array | null): Uint8Array {
  const { width, height } = hdr;
  const out = new Uint8Array(width * height * 3);
  const bpp = Math.max(1, (CHANNELS[hdr.colorType] * hdr.depth) >> 3);
  // 8-bit RGB, not interlaced: the output rows are exactly the unfiltered scanlines.
  if (hdr.colorType === 2 && hdr.depth === 8 && hdr.interlace === 0) {
    const len = width * 3;
    for (let y = 0, s = 0; y < height; y++, s += len + 1) unfilter(raw, s + 1, out, y * len, y > 0 ? (y - 1) * len : -1, len, 3, raw[s]);
    return out;
  }
  let s = 0;
  for (const q of passes(hdr)) {
    const len = lineBytes(q.w, hdr);
    for (let y = 0; y < q.h; y++, s += len + 1) {
      unfilter(raw, s + 1, raw, s + 1, y > 0 ? s + 1 - (len + 1) : -1, len, bpp, raw[s]);
      convertLine(raw, s + 1, q.w, hdr, palette, out, (q.y0 + y * q.dy) * width + q.x0, q.dx);
    }
  }
  return out;
}

/** Bytes of inflated data the image needs: one filter byte plus the scanline, per row of each pass. */
function rawSize(hdr: Header): number {
  let n = 0;
  for (const q of passes(hdr)) n += q.h * (lineBytes(q.w, hdr) + 1);
  return n;
}

async function inflate(idat: Uint8Array[], expected: number): Promise<Uint8Array> {
  const native = inflater ? await inflater(idat, expected) : null;
  // A stream the native inflater refused or cut short gets fflate's verdict (and message).
  const raw = native && native.length === expected ? native : fflateInflate(idat, expected);
  if (raw.length < expected) throw new Error(`image data ends early: ${raw.length} of ${expected} bytes`);
  return raw;
}

/** Decodes a PNG file (every colour type, bit depth and interlacing) to 8-bit RGB. */
export async function decodePng(bytes: Uint8Array): Promise<RgbImage> {
  const { hdr, palette, idat } = readChunks(bytes);
  const raw = await inflate(idat, rawSize(hdr));
  return { width: hdr.width, height: hdr.height, data: reconstruct(raw, hdr, palette) };
}

/** The same without the native inflater (synchronous; fflate). */
export function decodePngSync(bytes: Uint8Array): RgbImage {
  const { hdr, palette, idat } = readChunks(bytes);
  const expected = rawSize(hdr);
  const raw = fflateInflate(idat, expected);
  if (raw.length < expected) throw new Error(`image data ends early: ${raw.length} of ${expected} bytes`);
  return { width: hdr.width, height: hdr.height, data: reconstruct(raw, hdr, palette) };
}
