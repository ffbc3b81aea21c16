/**
 * A baseline + progressive Huffman JPEG decoder that reproduces libjpeg-turbo with its default
 * settings (what PIL uses): the "islow" integer IDCT (jpegIdct.ts), chroma "fancy" upsampling
 * and the fixed-point YCbCr→RGB tables (jpegColor.ts), so decoded pixels equal PIL's. Written
 * from the JPEG standard (ITU T.81) and libjpeg's documented arithmetic. 8-bit precision, 1 or 3
 * components; anything else (CMYK, 12-bit, arithmetic coding, lossless) throws UnsupportedJpeg
 * and the caller falls back to jpeg-js.
 *
 * Speed (tools/bench/decode.ts): baseline scans are decoded block by block straight into the
 * component planes (Huffman → dequantise → IDCT, no coefficient storage), with the bit reader in
 * local variables and 9-bit lookahead tables that also resolve short AC codes together with
 * their value bits; progressive scans keep coefficients (Int16, as libjpeg's JCOEF) and run the
 * IDCT at the end. Colour conversion reads the planes row by row (no full-size copies).
 * Where WebAssembly SIMD exists, the int32 IDCT of a block with AC terms and the colour conversion
 * of 4:4:4 and 4:2:0 run in jpegSimd.wat (same bytes), on coefficients and planes kept in that
 * module's memory.
 */
import type { RgbImage } from './types.ts';
import { fusedLayout, toRgb, type PlaneInfo } from './jpegColor.ts';
import { idctBlock, INT_SAFE_SUM } from './jpegIdct.ts';
import { isSharedJpegWasm, jpegWasm, memoryFor, PLANES_AT, rgbSimd, trimJpegWasm, type JpegWasm } from './jpegSimd.ts';

export class UnsupportedJpeg extends Error {}

/** Natural (row-major) index of the k-th coefficient in zigzag order. */
const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
  47, 55, 62, 63,
]);

const LOOK = 9;

interface Huffman {
  /** 9-bit lookahead: (code length << 8) | symbol; 0 = a longer code. */
  look: Int32Array;
  /**
   * 9-bit lookahead for AC tables, code and value bits together when they fit in 9 bits:
   * (value << 16) | (total length << 8) | (run << 4) | code length; 0 = not resolvable here.
   */
  fastAc: Int32Array;
  maxcode: Int32Array; // per length 1..16, -1 = none; [17] = sentinel
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

const extend = (v: number, s: number) => (v < 1 << (s - 1) ? v - (1 << s) + 1 : v);

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  const look = new Int32Array(1 << LOOK);
  const fastAc = new Int32Array(1 << LOOK);
  let code = 0;
  let p = 0;
  for (let len = 1; len <= 16; len++) {
    valptr[len] = p;
    mincode[len] = code;
    for (let i = 0; i < counts[len - 1]; i++, p++, code++) {
      if (len > LOOK) continue;
      const shift = LOOK - len;
      const sym = values[p];
      const run = sym >> 4, size = sym & 15;
      for (let j = 0; j < 1 << shift; j++) {
        const idx = (code << shift) | j;
        look[idx] = (len << 8) | sym;
        if (size && len + size <= LOOK) {
          const v = extend((idx >> (shift - size)) & ((1 << size) - 1), size);
          fastAc[idx] = (v << 16) | ((len + size) << 8) | (run << 4) | len;
        }
      }
    }
    maxcode[len] = counts[len - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { look, fastAc, maxcode, valptr, mincode, values };
}

interface Component extends PlaneInfo {
  id: number;
  tq: number;
  bpc: number; // blocks per column, MCU-padded
  wBlocks: number; // blocks covering the component's own size (non-interleaved scans)
  hBlocks: number;
  /**
   * Progressive only: coefficients until the last scan (JCOEF is 16-bit in libjpeg), 64 per
   * block in zigzag order — the order the scans visit them, so a block's low frequencies are
   * contiguous.
   */
  coefs: Int16Array;
  /**
   * Progressive only, per block: 1 + the highest zigzag index of a nonzero AC coefficient so far
   * (0: none). Coefficients only ever become nonzero, never zero again (refinement moves them
   * away from zero), so every coefficient at or past it is zero: the refinement of an EOB run
   * and the dequantisation stop there instead of walking all 64.
   */
  nz: Uint8Array;
  /** Dequantisation table in natural order, latched at the component's first scan (as libjpeg). */
  q: Int32Array | null;
  pred: number;
  dcTable?: Huffman;
  acTable?: Huffman;
}

export function decodeJpegExact(data: Uint8Array): RgbImage {
  try {
    return decode(data);
  } finally {
    // A big image's own module memory (hundreds of MB for a huge photo) is not kept alive by the
    // scratch views after its decode.
    if (S.wasm && !isSharedJpegWasm(S.wasm)) S.blk = new Int32Array(64);
    S.wasm = null;
  }
}

/** Lets the SIMD module's memory go when big photos grew it past 16 MB (between batches). */
export function trimJpegMemory(): void {
  if (trimJpegWasm()) S.blk = new Int32Array(64); // no view keeps the old memory alive
}

function decode(data: Uint8Array): RgbImage {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const qt: Int32Array[] = [];
  const dc: Huffman[] = [];
  const ac: Huffman[] = [];
  let comps: Component[] = [];
  let W = 0, H = 0, maxH = 1, maxV = 1, mcusX = 0, mcusY = 0, restartInterval = 0, progressive = false;
  let jfif = false;
  let adobe: number | null = null;
  let p = 2;
  if (v.getUint16(0) !== 0xffd8) throw new Error('missing JPEG start marker');
  for (;;) {
    while (p < data.length && data[p] !== 0xff) p++;
    while (p < data.length && data[p] === 0xff) p++;
    if (p >= data.length) throw new Error('unexpected end of JPEG data');
    const m = data[p++];
    if (m === 0xd9) break;
    if (m >= 0xd0 && m <= 0xd7) continue;
    const len = v.getUint16(p);
    const seg = data.subarray(p + 2, p + len);
    const next = p + len;
    if (next > data.length) throw new Error('truncated JPEG segment');
    if (m === 0xe0 && String.fromCharCode(...seg.subarray(0, 4)) === 'JFIF') jfif = true;
    else if (m === 0xee && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe') adobe = seg[11];
    else if (m === 0xdb) {
      for (let o = 0; o < seg.length; ) {
        const pq = seg[o] >> 4;
        const t = new Int32Array(64);
        for (let k = 0; k < 64; k++) t[ZIGZAG[k]] = pq ? (seg[o + 1 + 2 * k] << 8) | seg[o + 2 + 2 * k] : seg[o + 1 + k];
        qt[seg[o] & 15] = t;
        o += 1 + (pq ? 128 : 64);
      }
    } else if (m === 0xc4) {
      for (let o = 0; o < seg.length; ) {
        const counts = seg.subarray(o + 1, o + 17);
        const n = counts.reduce((a, b) => a + b, 0);
        const vals = seg.subarray(o + 17, o + 17 + n);
        // jdhuff.c jpeg_make_d_derived_tbl: DC symbols above 15 are a bad table.
        if (!(seg[o] >> 4) && vals.some((x) => x > 15)) throw new Error('bad Huffman table');
        (seg[o] >> 4 ? ac : dc)[seg[o] & 15] = buildHuffman(counts, vals);
        o += 17 + n;
      }
    } else if (m === 0xdd) restartInterval = v.getUint16(p + 2);
    else if (m === 0xc0 || m === 0xc1 || m === 0xc2) {
      progressive = m === 0xc2;
      if (seg[0] !== 8) throw new UnsupportedJpeg(`${seg[0]}-bit JPEG`);
      H = (seg[1] << 8) | seg[2];
      W = (seg[3] << 8) | seg[4];
      const n = seg[5];
      if (n !== 1 && n !== 3) throw new UnsupportedJpeg(`${n}-component JPEG`);
      if (H === 0 || W === 0) throw new Error(`invalid JPEG size ${W}×${H}`);
      comps = Array.from({ length: n }, (_, i) => ({ id: seg[6 + i * 3], h: seg[7 + i * 3] >> 4, v: seg[7 + i * 3] & 15, tq: seg[8 + i * 3], pred: 0, q: null }) as Component);
      maxH = Math.max(...comps.map((c) => c.h));
      maxV = Math.max(...comps.map((c) => c.v));
      mcusX = Math.ceil(W / (8 * maxH));
      mcusY = Math.ceil(H / (8 * maxV));
      let total = 0;
      for (const c of comps) {
        c.bpl = mcusX * c.h;
        c.bpc = mcusY * c.v;
        c.wBlocks = Math.ceil(Math.ceil((W * c.h) / maxH) / 8);
        c.hBlocks = Math.ceil(Math.ceil((H * c.v) / maxV) / 8);
        c.coefs = new Int16Array(progressive ? c.bpl * c.bpc * 64 : 0);
        c.nz = new Uint8Array(progressive ? c.bpl * c.bpc : 0);
        total += c.bpl * 8 * c.bpc * 8;
      }
      const planes = planeMemory(total, W, H);
      for (let i = 0, at = 0; i < n; i++) {
        const c = comps[i];
        const size = c.bpl * 8 * c.bpc * 8;
        // Blocks no scan reaches stay mid-grey, as zero coefficients would decode.
        c.plane = planes.subarray(at, at + size).fill(128);
        at += size;
      }
    } else if (m >= 0xc3 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      throw new UnsupportedJpeg(m >= 0xc9 ? 'arithmetic-coded JPEG' : 'lossless or hierarchical JPEG');
    } else if (m === 0xda) {
      if (!comps.length) throw new Error('scan before frame header');
      const ns = seg[0];
      const sc = Array.from({ length: ns }, (_, i) => {
        const c = comps.find((x) => x.id === seg[1 + i * 2]);
        if (!c) throw new Error('scan names an unknown component');
        if (seg.subarray(1, 1 + i * 2).some((id, j) => j % 2 === 0 && id === c.id)) throw new Error('scan names a component twice'); // as jdmarker.c
        c.dcTable = dc[seg[2 + i * 2] >> 4];
        c.acTable = ac[seg[2 + i * 2] & 15];
        if (!c.q) c.q = qt[c.tq] ?? null;
        if (!c.q) throw new Error('missing quantisation table');
        return c;
      });
      const ss = seg[1 + ns * 2], se = seg[2 + ns * 2], ah = seg[3 + ns * 2] >> 4, al = seg[3 + ns * 2] & 15;
      const scan = { ss, se, ah, al, restartInterval, mcusX, mcusY };
      p = progressive ? decodeProgressiveScan(data, p + len, sc, scan) : decodeBaselineScan(data, p + len, sc, scan);
      for (const c of comps) c.pred = 0;
      continue;
    }
    p = next;
  }
  if (!comps.length) throw new Error('no image in JPEG');
  if (progressive) {
    for (const c of comps) {
      if (c.q) idctProgressive(c, c.q);
      c.coefs = new Int16Array(0); // free the coefficients before the next component
      c.nz = new Uint8Array(0);
    }
  }
  // jdapimin.c default_decompress_parms: JFIF → YCbCr; Adobe transform 0 → RGB; ids 'R','G','B' → RGB.
  const ycc = comps.length === 3 && (jfif || (adobe !== null ? adobe !== 0 : !(comps[0].id === 82 && comps[1].id === 71 && comps[2].id === 66)));
  const fused = fusedLayout(comps, W, maxH, maxV, ycc);
  if (S.wasm && fused) return rgbSimd(S.wasm, fused, comps, W, H);
  return toRgb(comps, W, H, maxH, maxV, ycc);
}

/**
 * The component planes live only during one (synchronous) decode: for ordinary photos one
 * buffer is kept and reused, which spares the allocation and the first-touch page faults of
 * ~1.5 MB per 800×600 photo; bigger images get their own memory, released after the decode.
 * With the SIMD module, that one buffer is its memory (from byte 2048), where the block scratch
 * and the RGB output live too; a bigger image gets an instance of its own (jpegWasm).
 */
const POOL_MAX = 16 << 20;
let pool = new Uint8ClampedArray(0);

function planeMemory(size: number, W: number, H: number): Uint8ClampedArray {
  const w = jpegWasm(memoryFor(size, W, H));
  S.wasm = w;
  if (w) {
    // After the memory grew (or for a big image's own instance), older views of it are detached
    // or elsewhere: the block scratch is made anew.
    if (S.blk.buffer !== w.memory.buffer) S.blk = new Int32Array(w.memory.buffer, 0, 64);
    return new Uint8ClampedArray(w.memory.buffer, PLANES_AT, size);
  }
  if (size > POOL_MAX) return new Uint8ClampedArray(size);
  if (pool.length < size) pool = new Uint8ClampedArray(size);
  return pool;
}

interface ScanParams {
  ss: number; se: number; ah: number; al: number; restartInterval: number; mcusX: number; mcusY: number;
}

/**
 * Scratch for one block: dequantised coefficients (natural order) — in the SIMD IDCT's memory
 * when this decode uses it (`wasm`) — and the JS IDCT's workspace.
 */
const S: { blk: Int32Array; wasm: JpegWasm | null } = { blk: new Int32Array(64), wasm: null };
const ws = new Int32Array(64);

/** One block's IDCT into its plane: the SIMD module where the block and plane are in its memory. */
function inverse(wasm: JpegWasm | null, blk: Int32Array, sum: number, dcOnly: boolean, plane: Uint8ClampedArray, o: number, stride: number, low4: boolean): void {
  if (wasm !== null && !dcOnly && sum <= INT_SAFE_SUM) wasm.idct(plane.byteOffset + o, stride);
  else idctBlock(blk, sum, dcOnly, plane, o, stride, ws, low4);
}
const written = new Int32Array(64);

/** Bad data after a valid header: a Huffman code no table has. */
const badCode = () => new Error('bad Huffman code');

/**
 * One baseline (sequential) scan, every block decoded, dequantised and inverse-transformed into
 * its component's plane. The bit reader lives in local variables (buf holds cnt ≤ 32 valid low
 * bits); past a marker or the end of the data it reads zero bits, as libjpeg does. Returns the
 * position after the entropy-coded data.
 */
function decodeBaselineScan(d: Uint8Array, start: number, sc: Component[], s: ScanParams): number {
  let buf = 0, cnt = 0, pos = start;
  const n = d.length;
  const blk = S.blk, wasm = S.wasm;
  blk.fill(0); // shared scratch: a progressive IDCT or a decode that threw may have left values
  // Block order: interleaved scans go MCU by MCU; a one-component scan goes block by block.
  const single = sc.length === 1;
  const mcus = single ? sc[0].wBlocks * sc[0].hBlocks : s.mcusX * s.mcusY;
  let mcu = 0;
  for (let m = 0; m < mcus; m++) {
    if (s.restartInterval && mcu > 0 && mcu % s.restartInterval === 0) {
      // Skip to the byte boundary and past the RSTn marker.
      buf = 0;
      cnt = 0;
      while (pos + 1 < n && !(d[pos] === 0xff && d[pos + 1] >= 0xd0 && d[pos + 1] <= 0xd7)) pos++;
      pos += 2;
      for (const c of sc) c.pred = 0;
    }
    for (let ci = 0; ci < sc.length; ci++) {
      const c = sc[ci];
      const dcT = c.dcTable, acT = c.acTable;
      if (!dcT || !acT) throw new Error('scan uses an undefined Huffman table');
      const dcLook = dcT.look, acFast = acT.fastAc, acLook = acT.look;
      const q = c.q!;
      const stride = c.bpl * 8;
      const nb = single ? 1 : c.h * c.v;
      for (let b = 0; b < nb; b++) {
        const row = single ? (m / c.wBlocks) | 0 : ((m / s.mcusX) | 0) * c.v + ((b / c.h) | 0);
        const col = single ? m % c.wBlocks : (m % s.mcusX) * c.h + (b % c.h);
        // DC: a Huffman-coded size, then that many bits of difference.
        if (cnt < 16) {
          while (cnt <= 24) {
            let x = 0;
            if (pos < n) {
              x = d[pos];
              if (x === 0xff) {
                if (d[pos + 1] === 0) pos += 2;
                else x = 0; // a marker: feed zeros, do not consume it
              } else pos++;
            }
            buf = (buf << 8) | x;
            cnt += 8;
          }
        }
        let e = dcLook[(buf >>> (cnt - LOOK)) & 511];
        let t: number;
        if (e) {
          cnt -= e >> 8;
          t = e & 255;
        } else {
          let len = LOOK + 1;
          let code = (buf >>> (cnt - len)) & 1023;
          while (code > dcT.maxcode[len]) {
            if (++len > 16) throw badCode();
            code = (buf >>> (cnt - len)) & ((1 << len) - 1);
          }
          cnt -= len;
          t = dcT.values[dcT.valptr[len] + code - dcT.mincode[len]];
        }
        if (t) {
          if (cnt < t) {
            while (cnt <= 24) {
              let x = 0;
              if (pos < n) {
                x = d[pos];
                if (x === 0xff) {
                  if (d[pos + 1] === 0) pos += 2;
                  else x = 0;
                } else pos++;
              }
              buf = (buf << 8) | x;
              cnt += 8;
            }
          }
          cnt -= t;
          c.pred += extend((buf >>> cnt) & ((1 << t) - 1), t);
        }
        const dcv = ((c.pred << 16) >> 16) * q[0]; // JCOEF is 16 bits
        blk[0] = dcv;
        let sum = dcv < 0 ? -dcv : dcv;
        let nw = 0;
        let where = 0; // OR of the natural indices written: bits 2 and 5 = a column or row ≥ 4
        // AC: run/size symbols until end of block.
        for (let k = 1; k < 64; k++) {
          if (cnt < 16) {
            while (cnt <= 24) {
              let x = 0;
              if (pos < n) {
                x = d[pos];
                if (x === 0xff) {
                  if (d[pos + 1] === 0) pos += 2;
                  else x = 0;
                } else pos++;
              }
              buf = (buf << 8) | x;
              cnt += 8;
            }
          }
          const idx = (buf >>> (cnt - LOOK)) & 511;
          const f = acFast[idx];
          if (f) {
            k += (f >> 4) & 15;
            if (k > 63) {
              cnt -= f & 15; // the code only, as the slow path below
              break;
            }
            cnt -= (f >> 8) & 15;
            const z = ZIGZAG[k];
            const cv = (f >> 16) * q[z];
            blk[z] = cv;
            written[nw++] = z;
            where |= z;
            sum += cv < 0 ? -cv : cv;
            continue;
          }
          e = acLook[idx];
          let rs: number;
          if (e) {
            cnt -= e >> 8;
            rs = e & 255;
          } else {
            let len = LOOK + 1;
            let code = (buf >>> (cnt - len)) & 1023;
            while (code > acT.maxcode[len]) {
              if (++len > 16) throw badCode();
              code = (buf >>> (cnt - len)) & ((1 << len) - 1);
            }
            cnt -= len;
            rs = acT.values[acT.valptr[len] + code - acT.mincode[len]];
          }
          const size = rs & 15;
          if (size === 0) {
            if (rs !== 0xf0) break; // end of block
            k += 15; // sixteen zeros
            continue;
          }
          k += rs >> 4;
          if (k > 63) break;
          if (cnt < size) {
            while (cnt <= 24) {
              let x = 0;
              if (pos < n) {
                x = d[pos];
                if (x === 0xff) {
                  if (d[pos + 1] === 0) pos += 2;
                  else x = 0;
                } else pos++;
              }
              buf = (buf << 8) | x;
              cnt += 8;
            }
          }
          cnt -= size;
          const z = ZIGZAG[k];
          const cv = extend((buf >>> cnt) & ((1 << size) - 1), size) * q[z];
          blk[z] = cv;
          written[nw++] = z;
          where |= z;
          sum += cv < 0 ? -cv : cv;
        }
        // Padding blocks of the MCU grid lie outside the image: decoded, never shown.
        if (row < c.hBlocks && col < c.wBlocks) inverse(wasm, blk, sum, nw === 0, c.plane, row * 8 * stride + col * 8, stride, (where & 36) === 0);
        for (let i = 0; i < nw; i++) blk[written[i]] = 0;
      }
    }
    mcu++;
  }
  return pos;
}

/** Inverse-transforms a progressive component's coefficients into its plane. */
function idctProgressive(c: Component, q: Int32Array): void {
  const stride = c.bpl * 8;
  const k = c.coefs;
  const nz = c.nz;
  const blk = S.blk, wasm = S.wasm;
  blk.fill(0); // shared scratch: a decode that threw may have left values
  for (let row = 0; row < c.hBlocks; row++) {
    for (let col = 0; col < c.wBlocks; col++) {
      const bi = row * c.bpl + col;
      const b = bi * 64;
      // DC, then the AC coefficients in zigzag order up to the last that can be nonzero.
      const n = nz[bi] || 1;
      let sum = 0;
      let ac = 0;
      let where = 0;
      for (let j = 0; j < n; j++) {
        const i = ZIGZAG[j];
        const cv = k[b + j] * q[i];
        blk[i] = cv;
        sum += cv < 0 ? -cv : cv;
        if (j && cv) {
          ac = 1;
          where |= i;
        }
      }
      inverse(wasm, blk, sum, ac === 0, c.plane, row * 8 * stride + col * 8, stride, (where & 36) === 0);
      for (let j = 0; j < n; j++) blk[ZIGZAG[j]] = 0;
    }
  }
}

/** Bit reader for progressive scans; buf keeps ≤ 24 valid bits, so it stays a small integer. */
class Bits {
  buf = 0;
  cnt = 0;
  constructor(
    private d: Uint8Array,
    public pos: number,
  ) {}
  fill() {
    const d = this.d;
    while (this.cnt <= 16) {
      let b = 0;
      if (this.pos < d.length) {
        b = d[this.pos];
        if (b === 0xff) {
          if (d[this.pos + 1] === 0) this.pos += 2;
          else b = 0; // a marker: feed zeros, do not consume it (as libjpeg does)
        } else this.pos++;
      }
      this.buf = ((this.buf << 8) | b) & 0xffffff;
      this.cnt += 8;
    }
  }
  /** n ≤ 16 bits. */
  bits(n: number): number {
    if (n === 0) return 0;
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    return (this.buf >>> this.cnt) & ((1 << n) - 1);
  }
  bit(): number {
    return this.bits(1);
  }
  decode(t: Huffman): number {
    if (this.cnt < 16) this.fill();
    const e = t.look[(this.buf >>> (this.cnt - LOOK)) & 511];
    if (e) {
      this.cnt -= e >> 8;
      return e & 255;
    }
    let len = LOOK + 1;
    let code = (this.buf >>> (this.cnt - len)) & 1023;
    while (code > t.maxcode[len]) {
      if (++len > 16) throw badCode();
      code = (this.buf >>> (this.cnt - len)) & ((1 << len) - 1);
    }
    this.cnt -= len;
    return t.values[t.valptr[len] + code - t.mincode[len]];
  }
  /** Skip to the byte boundary and past an RSTn marker. */
  restart() {
    this.buf = 0;
    this.cnt = 0;
    while (this.pos + 1 < this.d.length && !(this.d[this.pos] === 0xff && this.d[this.pos + 1] >= 0xd0 && this.d[this.pos + 1] <= 0xd7)) this.pos++;
    this.pos += 2;
  }
}

/** A correction bit for an already-nonzero coefficient (successive approximation). */
function refine(bits: Bits, coef: Int16Array, pos: number, p1: number, m1: number): void {
  if (bits.bit() && (coef[pos] & p1) === 0) coef[pos] += coef[pos] >= 0 ? p1 : m1;
}

function decodeProgressiveScan(data: Uint8Array, start: number, sc: Component[], s: ScanParams): number {
  const bits = new Bits(data, start);
  let eobrun = 0;
  const block = (c: Component, row: number, col: number) => {
    const bi = row * c.bpl + col;
    const b = bi * 64;
    const coef = c.coefs;
    if (s.ss === 0) {
      if (s.ah === 0) {
        const t = bits.decode(c.dcTable!);
        c.pred += t ? extend(bits.bits(t), t) : 0;
        coef[b] = c.pred * (1 << s.al);
      } else if (bits.bit()) coef[b] |= 1 << s.al;
    } else if (s.ah === 0) {
      if (eobrun > 0) {
        eobrun--;
        return;
      }
      const act = c.acTable!;
      const fast = act.fastAc;
      const scale = 1 << s.al;
      let last = -1; // zigzag index of the last coefficient set (all nonzero)
      for (let k = s.ss; k <= s.se; k++) {
        // A short code and its value bits in one lookup (as in baseline scans).
        if (bits.cnt < 16) bits.fill();
        const f = fast[(bits.buf >>> (bits.cnt - LOOK)) & 511];
        if (f) {
          k += (f >> 4) & 15;
          if (k > 63) {
            bits.cnt -= f & 15;
            break;
          }
          bits.cnt -= (f >> 8) & 15;
          coef[b + k] = (f >> 16) * scale;
          last = k;
          continue;
        }
        const rs = bits.decode(act);
        const r = rs >> 4, sz = rs & 15;
        if (sz) {
          k += r;
          if (k > 63) break;
          coef[b + k] = extend(bits.bits(sz), sz) * (1 << s.al);
          last = k;
        } else if (r === 15) k += 15;
        else {
          eobrun = (1 << r) - 1 + (r ? bits.bits(r) : 0);
          break;
        }
      }
      if (last >= c.nz[bi]) c.nz[bi] = last + 1;
    } else {
      // Successive approximation refinement of AC coefficients (T.81 G.1.2.3).
      const p1 = 1 << s.al, m1 = -1 << s.al;
      let k = s.ss;
      if (eobrun === 0) {
        for (; k <= s.se; k++) {
          const rs = bits.decode(c.acTable!);
          let r = rs >> 4;
          let val = 0;
          if (rs & 15) val = bits.bit() ? p1 : m1;
          else if (r !== 15) {
            eobrun = (1 << r) + (r ? bits.bits(r) : 0);
            break;
          }
          while (k <= s.se) {
            const pos = b + k;
            if (coef[pos] !== 0) refine(bits, coef, pos, p1, m1);
            else if (--r < 0) break;
            k++;
          }
          if (val && k <= 63) {
            coef[b + k] = val;
            if (k >= c.nz[bi]) c.nz[bi] = k + 1;
          }
        }
      }
      if (eobrun > 0) {
        // Only nonzero coefficients take a correction bit, and none lies at or past nz.
        const end = Math.min(s.se, c.nz[bi] - 1);
        for (; k <= end; k++) if (coef[b + k] !== 0) refine(bits, coef, b + k, p1, m1);
        eobrun--;
      }
    }
  };
  for (const c of sc) {
    if (!c.dcTable && s.ss === 0 && s.ah === 0) throw new Error('scan uses an undefined Huffman table');
    if (!c.acTable && s.ss > 0) throw new Error('scan uses an undefined Huffman table');
  }
  let mcu = 0;
  const restart = () => {
    if (s.restartInterval && mcu > 0 && mcu % s.restartInterval === 0) {
      bits.restart();
      eobrun = 0;
      for (const c of sc) c.pred = 0;
    }
  };
  if (sc.length === 1) {
    const c = sc[0];
    for (let row = 0; row < c.hBlocks; row++) {
      for (let col = 0; col < c.wBlocks; col++) {
        restart();
        block(c, row, col);
        mcu++;
      }
    }
  } else {
    for (let my = 0; my < s.mcusY; my++) {
      for (let mx = 0; mx < s.mcusX; mx++) {
        restart();
        for (const c of sc) for (let y = 0; y < c.v; y++) for (let x = 0; x < c.h; x++) block(c, my * c.v + y, mx * c.h + x);
        mcu++;
      }
    }
  }
  return bits.pos;
}
