import type { RgbImage } from './types.ts';

/**
 * First frame of a GIF as PIL's convert('RGB') of frame 0 sees it: the logical screen, filled
 * first with the colour of the transparency (else first) palette index, then the frame drawn on
 * top; transparent pixels keep that fill colour (PIL drops transparency, it does not composite).
 *
 * Our own reader (GIF89a §18–§23): omggif, used before, loops forever on some damaged files (a
 * cycle in its LZW code table, or a sub-block chain read past the end of the buffer), and a loop
 * cannot be interrupted from outside. Here every loop advances through the bytes or the pixels,
 * and a table entry's prefix is always an older entry, so no input can make it spin.
 */
export function decodeGif(bytes: Uint8Array): RgbImage {
  const frame = readFirstFrame(bytes);
  const { width, height, palette, fill } = frame;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    out[i * 3] = palette[fill * 3];
    out[i * 3 + 1] = palette[fill * 3 + 1];
    out[i * 3 + 2] = palette[fill * 3 + 2];
  }
  const { x: fx, y: fy, w: fw, h: fh } = frame.rect;
  const indices = new Uint8Array(fw * fh);
  lzwDecode(bytes, frame.dataOffset, indices);
  const rows = frame.interlaced ? interlacedRows(fh) : null;
  const trans = frame.transparent ?? 256;
  for (let r = 0; r < fh; r++) {
    const y = fy + (rows ? rows[r] : r);
    if (y >= height) continue;
    for (let c = 0; c < fw; c++) {
      const x = fx + c;
      if (x >= width) break;
      const k = indices[r * fw + c];
      if (k === trans) continue;
      const o = (y * width + x) * 3;
      out[o] = palette[k * 3];
      out[o + 1] = palette[k * 3 + 1];
      out[o + 2] = palette[k * 3 + 2];
    }
  }
  return { width, height, data: out };
}

interface FirstFrame {
  width: number;
  height: number;
  /** The frame's colour table (local, else global) as RGB triples, 256 entries (missing ones black). */
  palette: Uint8Array;
  /** Palette index the screen is filled with before the frame is drawn. */
  fill: number;
  transparent: number | null;
  interlaced: boolean;
  rect: { x: number; y: number; w: number; h: number };
  /** Offset of the LZW minimum code size byte. */
  dataOffset: number;
}

function readFirstFrame(b: Uint8Array): FirstFrame {
  const u16 = (p: number) => b[p] | (b[p + 1] << 8);
  if (b.length < 13 || b[0] !== 0x47 || b[1] !== 0x49 || b[2] !== 0x46 || b[3] !== 0x38 || (b[4] !== 0x37 && b[4] !== 0x39) || b[5] !== 0x61) {
    throw new Error('not a GIF87a/GIF89a header');
  }
  const width = u16(6);
  const height = u16(8);
  if (width === 0 || height === 0) throw new Error(`GIF screen is ${width}×${height}`);
  let p = 13;
  let global: Uint8Array | null = null;
  if (b[10] & 0x80) {
    const n = 2 << (b[10] & 7);
    global = table(b, p, n);
    p += n * 3;
  }
  let transparent: number | null = null;
  while (p < b.length) {
    const tag = b[p++];
    if (tag === 0x21) {
      // Extension: label, then data sub-blocks. Only a graphic control (0xF9) matters here.
      const label = b[p++];
      if (label === 0xf9 && b[p] >= 4 && p + 4 < b.length) transparent = b[p + 1] & 1 ? b[p + 4] : null;
      p = skipSubBlocks(b, p);
    } else if (tag === 0x2c) {
      if (p + 9 > b.length) break;
      const rect = { x: u16(p), y: u16(p + 2), w: u16(p + 4), h: u16(p + 6) };
      const flags = b[p + 8];
      p += 9;
      let palette = global;
      if (flags & 0x80) {
        const n = 2 << (flags & 7);
        palette = table(b, p, n);
        p += n * 3;
      }
      if (!palette) throw new Error('GIF frame has no colour table');
      if (p >= b.length) break;
      return { width, height, palette, fill: transparent ?? 0, transparent, interlaced: (flags & 0x40) !== 0, rect, dataOffset: p };
    } else if (tag === 0x3b) {
      break;
    } else {
      throw new Error(`unknown GIF block 0x${tag.toString(16)} at byte ${p - 1}`);
    }
  }
  throw new Error('GIF has no frames');
}

/** A colour table of n entries at p, padded to 256 entries (indices past a short table read black). */
function table(b: Uint8Array, p: number, n: number): Uint8Array {
  if (p + n * 3 > b.length) throw new Error('GIF colour table runs past the end of the file');
  const t = new Uint8Array(256 * 3);
  t.set(b.subarray(p, p + n * 3));
  return t;
}

/** The offset after a chain of data sub-blocks starting at p (each: a size byte, then data). */
function skipSubBlocks(b: Uint8Array, p: number): number {
  while (p < b.length) {
    const n = b[p];
    p += n + 1;
    if (n === 0) break;
  }
  return p;
}

/** Frame rows in the order an interlaced GIF stores them (passes start 0, 4, 2, 1; steps 8, 8, 4, 2). */
function interlacedRows(h: number): Int32Array {
  const rows = new Int32Array(h);
  let r = 0;
  for (const [start, step] of [[0, 8], [4, 8], [2, 4], [1, 2]]) for (let y = start; y < h; y += step) rows[r++] = y;
  return rows;
}

/**
 * GIF's variable-length LZW (codes LSB first, no early change, 12 bits at most) from the minimum
 * code size byte at p into `out` (palette indices). Stops at the end-of-information code, at the
 * end of the data or of `out`, or at the first invalid code; pixels never written stay 0.
 * Returns the number of indices written.
 */
export function lzwDecode(b: Uint8Array, p: number, out: Uint8Array): number {
  const minSize = b[p++];
  if (!(minSize >= 1 && minSize <= 8)) throw new Error(`GIF LZW minimum code size ${minSize} is not 1–8`);
  const clear = 1 << minSize;
  const eoi = clear + 1;
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < clear; i++) {
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
  }
  let size = minSize + 1;
  let next = eoi + 1;
  let prev = -1;
  let bits = 0;
  let nbits = 0;
  let block = 0; // bytes left in the current sub-block
  let op = 0;
  const n = out.length;
  for (;;) {
    while (nbits < size) {
      if (block === 0) {
        if (p >= b.length || b[p] === 0) return op;
        block = b[p++];
      }
      if (p >= b.length) return op;
      bits |= b[p++] << nbits;
      nbits += 8;
      block--;
    }
    const code = bits & ((1 << size) - 1);
    bits >>>= size;
    nbits -= size;
    if (code === clear) {
      size = minSize + 1;
      next = eoi + 1;
      prev = -1;
      continue;
    }
    if (code === eoi) return op;
    let entry: number;
    if (prev < 0) {
      if (code >= clear) return op;
      entry = code;
    } else if (code < next) {
      entry = code;
      if (next < 4096) add(prev, first[code]);
    } else if (code === next && next < 4096) {
      add(prev, first[prev]);
      entry = code;
    } else {
      return op;
    }
    // Write the entry backwards from its end, clipped to the output.
    const len = length[entry];
    let e = entry;
    for (let k = len - 1; k >= 0; k--) {
      if (op + k < n) out[op + k] = suffix[e];
      e = prefix[e];
    }
    op += len;
    if (op >= n) return n;
    prev = code;
    if (next === 1 << size && size < 12) size++;
  }

  function add(pre: number, byte: number): void {
    prefix[next] = pre;
    suffix[next] = byte;
    first[next] = first[pre];
    length[next] = length[pre] + 1;
    next++;
  }
}
