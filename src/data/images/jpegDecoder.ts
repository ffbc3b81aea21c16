/**
 * A baseline + progressive Huffman JPEG decoder that reproduces libjpeg-turbo with its default
 * settings (what PIL uses): the "islow" integer IDCT (jidctint.c, 13-bit constants, two passes),
 * chroma "fancy" upsampling (jdsample.c) and the fixed-point YCbCr→RGB tables (jdcolor.c), so
 * decoded pixels equal PIL's. Written from the JPEG standard (ITU T.81) and libjpeg's documented
 * arithmetic. 8-bit precision, 1 or 3 components; anything else (CMYK, 12-bit, arithmetic
 * coding, lossless) throws UnsupportedJpeg and the caller falls back to jpeg-js.
 */
import type { RgbImage } from './types.ts';
import { toRgb } from './jpegColor.ts';

export class UnsupportedJpeg extends Error {}

const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
  47, 55, 62, 63,
]);

interface Huffman {
  lookup: Int32Array; // 8-bit lookahead: (length << 8) | value, 0 = longer code
  maxcode: Int32Array; // per length 1..16, -1 = none
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  const lookup = new Int32Array(256);
  let code = 0;
  let p = 0;
  for (let len = 1; len <= 16; len++) {
    valptr[len] = p;
    mincode[len] = code;
    for (let i = 0; i < counts[len - 1]; i++, p++, code++) {
      if (len <= 8) {
        const shift = 8 - len;
        for (let j = 0; j < 1 << shift; j++) lookup[(code << shift) | j] = (len << 8) | values[p];
      }
    }
    maxcode[len] = counts[len - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { lookup, maxcode, valptr, mincode, values };
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  bpl: number; // blocks per line, MCU-padded
  bpc: number; // blocks per column, MCU-padded
  wBlocks: number; // blocks covering the component's own size (non-interleaved scans)
  hBlocks: number;
  coefs: Int16Array; // JCOEF is 16-bit in libjpeg: same wrap-around, half the memory
  pred: number;
  dcTable?: Huffman;
  acTable?: Huffman;
}

class Bits {
  buf = 0;
  cnt = 0;
  constructor(
    private d: Uint8Array,
    public pos: number,
  ) {}
  private fill() {
    while (this.cnt <= 24) {
      let b = 0;
      if (this.pos < this.d.length) {
        b = this.d[this.pos];
        if (b === 0xff) {
          const n = this.d[this.pos + 1];
          if (n === 0) this.pos += 2;
          else b = 0; // a marker: feed zeros, do not consume it (as libjpeg does)
        } else this.pos++;
      }
      this.buf = ((this.buf << 8) | b) >>> 0;
      this.cnt += 8;
    }
  }
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
    const look = t.lookup[(this.buf >>> (this.cnt - 8)) & 0xff];
    if (look) {
      this.cnt -= look >> 8;
      return look & 0xff;
    }
    let len = 9;
    let code = (this.buf >>> (this.cnt - 9)) & 0x1ff;
    while (code > t.maxcode[len]) {
      len++;
      if (len > 16) throw new Error('bad Huffman code');
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

const extend = (v: number, s: number) => (v < 1 << (s - 1) ? v - (1 << s) + 1 : v);

export function decodeJpegExact(data: Uint8Array): RgbImage {
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
        const table = buildHuffman(counts, seg.subarray(o + 17, o + 17 + n));
        (seg[o] >> 4 ? ac : dc)[seg[o] & 15] = table;
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
      comps = Array.from({ length: n }, (_, i) => ({ id: seg[6 + i * 3], h: seg[7 + i * 3] >> 4, v: seg[7 + i * 3] & 15, tq: seg[8 + i * 3], pred: 0 }) as Component);
      maxH = Math.max(...comps.map((c) => c.h));
      maxV = Math.max(...comps.map((c) => c.v));
      mcusX = Math.ceil(W / (8 * maxH));
      mcusY = Math.ceil(H / (8 * maxV));
      for (const c of comps) {
        c.bpl = mcusX * c.h;
        c.bpc = mcusY * c.v;
        c.wBlocks = Math.ceil(Math.ceil((W * c.h) / maxH) / 8);
        c.hBlocks = Math.ceil(Math.ceil((H * c.v) / maxV) / 8);
        c.coefs = new Int16Array(c.bpl * c.bpc * 64);
      }
    } else if (m >= 0xc3 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      throw new UnsupportedJpeg(m >= 0xc9 ? 'arithmetic-coded JPEG' : 'lossless or hierarchical JPEG');
    } else if (m === 0xda) {
      if (!comps.length) throw new Error('scan before frame header');
      const ns = seg[0];
      const sc = Array.from({ length: ns }, (_, i) => {
        const c = comps.find((x) => x.id === seg[1 + i * 2]);
        if (!c) throw new Error('scan names an unknown component');
        c.dcTable = dc[seg[2 + i * 2] >> 4];
        c.acTable = ac[seg[2 + i * 2] & 15];
        return c;
      });
      const ss = seg[1 + ns * 2], se = seg[2 + ns * 2], ah = seg[3 + ns * 2] >> 4, al = seg[3 + ns * 2] & 15;
      const bits = new Bits(data, p + len);
      decodeScan(bits, sc, { ss, se, ah, al, progressive, restartInterval, mcusX, mcusY });
      for (const c of comps) c.pred = 0;
      p = bits.pos;
      continue;
    }
    p = next;
  }
  if (!comps.length) throw new Error('no image in JPEG');
  const planes = comps.map((c) => {
    const q = qt[c.tq];
    if (!q) throw new Error('missing quantisation table');
    const plane = idctPlane(c, q);
    c.coefs = new Int16Array(0); // free the coefficients before the next component
    return plane;
  });
  // jdapimin.c default_decompress_parms: JFIF → YCbCr; Adobe transform 0 → RGB; ids 'R','G','B' → RGB.
  const ycc = comps.length === 3 && (jfif || (adobe !== null ? adobe !== 0 : !(comps[0].id === 82 && comps[1].id === 71 && comps[2].id === 66)));
  return toRgb(comps, planes, W, H, maxH, maxV, ycc);
}

interface ScanParams {
  ss: number; se: number; ah: number; al: number; progressive: boolean; restartInterval: number; mcusX: number; mcusY: number;
}

/** A correction bit for an already-nonzero coefficient (successive approximation). */
function refine(bits: Bits, coef: Int16Array, pos: number, p1: number, m1: number): void {
  if (bits.bit() && (coef[pos] & p1) === 0) coef[pos] += coef[pos] >= 0 ? p1 : m1;
}

function decodeScan(bits: Bits, sc: Component[], s: ScanParams): void {
  let eobrun = 0;
  const block = (c: Component, row: number, col: number) => {
    const b = (row * c.bpl + col) * 64;
    const coef = c.coefs;
    if (!s.progressive) {
      const t = bits.decode(c.dcTable!);
      c.pred += t ? extend(bits.bits(t), t) : 0;
      coef[b] = c.pred;
      for (let k = 1; k < 64; k++) {
        const rs = bits.decode(c.acTable!);
        const r = rs >> 4, sz = rs & 15;
        if (sz === 0) {
          if (r !== 15) break;
          k += 15;
          continue;
        }
        k += r;
        if (k > 63) break;
        coef[b + ZIGZAG[k]] = extend(bits.bits(sz), sz);
      }
    } else if (s.ss === 0) {
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
      for (let k = s.ss; k <= s.se; k++) {
        const rs = bits.decode(c.acTable!);
        const r = rs >> 4, sz = rs & 15;
        if (sz) {
          k += r;
          if (k > 63) break;
          coef[b + ZIGZAG[k]] = extend(bits.bits(sz), sz) * (1 << s.al);
        } else if (r === 15) k += 15;
        else {
          eobrun = (1 << r) - 1 + (r ? bits.bits(r) : 0);
          break;
        }
      }
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
            const pos = b + ZIGZAG[k];
            if (coef[pos] !== 0) refine(bits, coef, pos, p1, m1);
            else if (--r < 0) break;
            k++;
          }
          if (val && k <= 63) coef[b + ZIGZAG[k]] = val;
        }
      }
      if (eobrun > 0) {
        for (; k <= s.se; k++) if (coef[b + ZIGZAG[k]] !== 0) refine(bits, coef, b + ZIGZAG[k], p1, m1);
        eobrun--;
      }
    }
  };
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
}

// jidctint.c jpeg_idct_islow: CONST_BITS 13, PASS1_BITS 2.
const F0298 = 2446, F0390 = 3196, F0541 = 4433, F0765 = 6270, F0899 = 7373, F1175 = 9633, F1501 = 12299,
  F1847 = 15137, F1961 = 16069, F2053 = 16819, F2562 = 20995, F3072 = 25172;
// DESCALE(x, n) = (x + 2^(n-1)) >> n, exact in doubles (no 32-bit overflow on extreme input).
const descale = (x: number, n: number) => (n === 11 ? Math.floor((x + 1024) * (1 / 2048)) : Math.floor((x + 131072) * (1 / 262144)));

/**
 * One 1-D pass of islow over 8 values (in0..in7) into io[0..7], descaled by `shift` bits.
 * A plain top-level function: no closures are created per block (hot loop).
 */
function islow1d(io: Float64Array, i0: number, i1: number, i2: number, i3: number, i4: number, i5: number, i6: number, i7: number, shift: number): void {
  let z2 = i2, z3 = i6;
  let z1 = (z2 + z3) * F0541;
  const t2 = z1 + z3 * -F1847, t3 = z1 + z2 * F0765;
  const t0 = (i0 + i4) * 8192, t1 = (i0 - i4) * 8192;
  const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
  let a0 = i7, a1 = i5, a2 = i3, a3 = i1;
  z1 = a0 + a3; z2 = a1 + a2; z3 = a0 + a2;
  let z4 = a1 + a3;
  const z5 = (z3 + z4) * F1175;
  a0 *= F0298; a1 *= F2053; a2 *= F3072; a3 *= F1501;
  z1 *= -F0899; z2 *= -F2562; z3 = z3 * -F1961 + z5; z4 = z4 * -F0390 + z5;
  a0 += z1 + z3; a1 += z2 + z4; a2 += z2 + z3; a3 += z1 + z4;
  io[0] = descale(t10 + a3, shift); io[7] = descale(t10 - a3, shift);
  io[1] = descale(t11 + a2, shift); io[6] = descale(t11 - a2, shift);
  io[2] = descale(t12 + a1, shift); io[5] = descale(t12 - a1, shift);
  io[3] = descale(t13 + a0, shift); io[4] = descale(t13 - a0, shift);
}

function idctPlane(c: Component, q: Int32Array): Uint8Array {
  const stride = c.bpl * 8;
  const out = new Uint8Array(stride * c.bpc * 8);
  const ws = new Float64Array(64);
  const io = new Float64Array(8);
  const k = c.coefs;
  for (let by = 0; by < c.bpc; by++) {
    for (let bx = 0; bx < c.bpl; bx++) {
      const b = (by * c.bpl + bx) * 64;
      // Pass 1: columns, with libjpeg's shortcut for columns whose AC terms are all zero.
      for (let col = 0; col < 8; col++) {
        const o = b + col;
        if (k[o + 8] === 0 && k[o + 16] === 0 && k[o + 24] === 0 && k[o + 32] === 0 && k[o + 40] === 0 && k[o + 48] === 0 && k[o + 56] === 0) {
          const dcv = k[o] * q[col] * 4;
          for (let r = 0; r < 8; r++) ws[r * 8 + col] = dcv;
          continue;
        }
        islow1d(io, k[o] * q[col], k[o + 8] * q[8 + col], k[o + 16] * q[16 + col], k[o + 24] * q[24 + col], k[o + 32] * q[32 + col], k[o + 40] * q[40 + col], k[o + 48] * q[48 + col], k[o + 56] * q[56 + col], 11);
        for (let r = 0; r < 8; r++) ws[r * 8 + col] = io[r];
      }
      // Pass 2: rows, +128 and clamp (libjpeg's range-limit table).
      for (let r = 0; r < 8; r++) {
        const w = r * 8;
        islow1d(io, ws[w], ws[w + 1], ws[w + 2], ws[w + 3], ws[w + 4], ws[w + 5], ws[w + 6], ws[w + 7], 18);
        const o = (by * 8 + r) * stride + bx * 8;
        for (let x = 0; x < 8; x++) {
          const val = io[x] + 128;
          out[o + x] = val < 0 ? 0 : val > 255 ? 255 : val;
        }
      }
    }
  }
  return out;
}

