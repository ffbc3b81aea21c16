/**
 * The last steps of libjpeg-turbo's decoder, reproduced exactly: chroma "fancy" upsampling
 * (jdsample.c: h2v1, h1v2, h2v2 triangle filters, context rows repeated at the edges) and the
 * fixed-point YCbCr→RGB tables (jdcolor.c). Used by jpegDecoder.ts.
 *
 * Row by row: each output row reads full-resolution components straight from their planes and
 * upsamples the others into one-row buffers, then converts into the RGB output — no full-size
 * intermediate planes.
 */
import type { RgbImage } from './types.ts';

/** What toRgb needs to know about a component. */
export interface PlaneInfo {
  h: number;
  v: number;
  /** Blocks per line (MCU-padded): the plane's stride is bpl × 8. */
  bpl: number;
  /** Decoded samples, stride bpl × 8. */
  plane: Uint8ClampedArray;
}

// jdcolor.c build_ycc_rgb_table.
const FIX = (x: number) => Math.floor(x * 65536 + 0.5);
const CR_R = new Int32Array(256), CB_B = new Int32Array(256), CR_G = new Int32Array(256), CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (FIX(1.402) * x + 32768) >> 16;
  CB_B[i] = (FIX(1.772) * x + 32768) >> 16;
  CR_G[i] = -FIX(0.71414) * x;
  CB_G[i] = -FIX(0.34414) * x + 32768;
}

/** Clamp to 0..255 by table (libjpeg's range_limit): RANGE[v + 384] for v in -384..639. */
const RANGE = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) RANGE[i] = i < 384 ? 0 : i > 639 ? 255 : i - 384;

/** One component's source of output rows: its own plane (full resolution) or an upsampled row. */
interface RowSource {
  /** Always a Uint8ClampedArray, so the conversion loops see one array type (monomorphic). */
  data: Uint8ClampedArray;
  /** Offset of output row y in `data`. */
  offset(y: number): number;
}

function rowSource(c: PlaneInfo, W: number, H: number, maxH: number, maxV: number): RowSource {
  const stride = c.bpl * 8;
  const sx = maxH / c.h, sy = maxV / c.v;
  if (sx === 1 && sy === 1) return { data: c.plane, offset: (y) => y * stride };
  const w = Math.ceil((W * c.h) / maxH), h = Math.ceil((H * c.v) / maxV);
  const line = new Uint8ClampedArray(Math.max(2 * w, W));
  return { data: line, offset: (y) => (upsampleRow(c.plane, stride, w, h, sx, sy, W, y, line), 0) };
}

/**
 * The two layouts of nearly every photo, converted in one pass (here, and in jpegSimd.wat):
 * YCbCr 4:4:4 ('h1v1') and 4:2:0 with fancy upsampling ('h2v2'); null for any other.
 */
export function fusedLayout(comps: PlaneInfo[], W: number, maxH: number, maxV: number, ycc: boolean): 'h1v1' | 'h2v2' | null {
  if (!ycc) return null;
  if (isH2v2(comps, W, maxH, maxV)) return 'h2v2';
  return comps.every((c) => c.h === maxH && c.v === maxV) ? 'h1v1' : null;
}

export function toRgb(comps: PlaneInfo[], W: number, H: number, maxH: number, maxV: number, ycc: boolean): RgbImage {
  const out = new Uint8Array(W * H * 3);
  const o8 = new Uint8ClampedArray(out.buffer); // stores clamp to 0..255
  const fast = fusedLayout(comps, W, maxH, maxV, ycc);
  if (fast === 'h2v2') {
    h2v2Rgb(comps, W, H, out);
    return { width: W, height: H, data: out };
  }
  if (fast === 'h1v1') {
    h1v1Rgb(comps, W, H, out);
    return { width: W, height: H, data: out };
  }
  const src = comps.map((c) => rowSource(c, W, H, maxH, maxV));
  if (comps.length === 1) {
    const s = src[0];
    for (let y = 0, o = 0; y < H; y++) {
      const a = s.data, i0 = s.offset(y);
      for (let x = 0; x < W; x++, o += 3) out[o] = out[o + 1] = out[o + 2] = a[i0 + x];
    }
  } else {
    const [s0, s1, s2] = src;
    for (let y = 0, o = 0; y < H; y++) {
      const a = s0.data, b = s1.data, c = s2.data;
      const ia = s0.offset(y), ib = s1.offset(y), ic = s2.offset(y);
      if (!ycc) {
        for (let x = 0; x < W; x++, o += 3) {
          out[o] = a[ia + x];
          out[o + 1] = b[ib + x];
          out[o + 2] = c[ic + x];
        }
        continue;
      }
      for (let x = 0; x < W; x++, o += 3) {
        const yv = a[ia + x], cb = b[ib + x], cr = c[ic + x];
        o8[o] = yv + CR_R[cr];
        o8[o + 1] = yv + ((CB_G[cb] + CR_G[cr]) >> 16);
        o8[o + 2] = yv + CB_B[cb];
      }
    }
  }
  return { width: W, height: H, data: out };
}

/** No subsampling (4:4:4): one pass over the three planes. */
function h1v1Rgb(comps: PlaneInfo[], W: number, H: number, out: Uint8Array): void {
  const yp = comps[0].plane, bp = comps[1].plane, rp = comps[2].plane;
  const s0 = comps[0].bpl * 8, s1 = comps[1].bpl * 8, s2 = comps[2].bpl * 8;
  for (let y = 0, o = 0; y < H; y++) {
    const ia = y * s0, ib = y * s1, ic = y * s2;
    for (let x = 0; x < W; x++, o += 3) {
      const yv = yp[ia + x] + 384, cb = bp[ib + x], cr = rp[ic + x];
      out[o] = RANGE[yv + CR_R[cr]];
      out[o + 1] = RANGE[yv + ((CB_G[cb] + CR_G[cr]) >> 16)];
      out[o + 2] = RANGE[yv + CB_B[cb]];
    }
  }
}

/** 4:2:0 with full-resolution luma and fancy-upsampled chroma: the common photo layout. */
function isH2v2(comps: PlaneInfo[], W: number, maxH: number, maxV: number): boolean {
  const [y, cb, cr] = comps;
  return y.h === maxH && y.v === maxV && maxH === 2 * cb.h && maxV === 2 * cb.v && cb.h === cr.h && cb.v === cr.v && Math.ceil((W * cb.h) / maxH) > 2;
}

/**
 * h2v2 fancy upsampling of both chroma planes fused with the colour conversion: per output row,
 * the chroma column sums (3 × nearer row + farther row) are rolled along, each giving the two
 * output pixels over it — the same arithmetic as upsampleRow, without the row buffers.
 */
function h2v2Rgb(comps: PlaneInfo[], W: number, H: number, out: Uint8Array): void {
  const [Y, Cb, Cr] = comps;
  const yp = Y.plane, bp = Cb.plane, rp = Cr.plane;
  const ys = Y.bpl * 8, cs = Cb.bpl * 8;
  if (Cr.bpl !== Cb.bpl) throw new Error('chroma planes of different widths'); // same factors: never
  const w = Math.ceil(W / 2), h = Math.ceil(H / 2);
  for (let y = 0; y < H; y++) {
    const yy = y >> 1;
    const far = y & 1 ? (yy + 1 > h - 1 ? h - 1 : yy + 1) : yy - 1 < 0 ? 0 : yy - 1;
    const n0 = yy * cs, f0 = far * cs;
    const yo = y * ys;
    let o = y * W * 3;
    let bCur = bp[n0] * 3 + bp[f0], bNext = bp[n0 + 1] * 3 + bp[f0 + 1], bLast = bCur;
    let rCur = rp[n0] * 3 + rp[f0], rNext = rp[n0 + 1] * 3 + rp[f0 + 1], rLast = rCur;
    for (let i = 0; i < w; i++) {
      // Even output pixel 2i: (3·cur + last + 8) >> 4 (at the left edge last = cur).
      let cb = (bCur * 3 + bLast + 8) >> 4, cr = (rCur * 3 + rLast + 8) >> 4;
      let yv = yp[yo + 2 * i] + 384;
      out[o] = RANGE[yv + CR_R[cr]];
      out[o + 1] = RANGE[yv + ((CB_G[cb] + CR_G[cr]) >> 16)];
      out[o + 2] = RANGE[yv + CB_B[cb]];
      o += 3;
      if (2 * i + 1 >= W) break;
      // Odd output pixel 2i+1: (3·cur + next + 7) >> 4 (at the right edge next = cur).
      cb = (bCur * 3 + bNext + 7) >> 4;
      cr = (rCur * 3 + rNext + 7) >> 4;
      yv = yp[yo + 2 * i + 1] + 384;
      out[o] = RANGE[yv + CR_R[cr]];
      out[o + 1] = RANGE[yv + ((CB_G[cb] + CR_G[cr]) >> 16)];
      out[o + 2] = RANGE[yv + CB_B[cb]];
      o += 3;
      bLast = bCur;
      bCur = bNext;
      rLast = rCur;
      rCur = rNext;
      if (i + 2 < w) {
        bNext = bp[n0 + i + 2] * 3 + bp[f0 + i + 2];
        rNext = rp[n0 + i + 2] * 3 + rp[f0 + i + 2];
      }
    }
  }
}

/**
 * Output row y of a component plane (stride × rows, valid w × h) upsampled to W samples into
 * `line`: libjpeg-turbo's h2v1/h1v2/h2v2 fancy upsampling (jinit_upsampler: h2 only when the
 * plane is wider than 2 samples), replication for other factors. Context rows beyond the edges
 * repeat the first/last valid row.
 */
function upsampleRow(plane: Uint8ClampedArray, stride: number, w: number, h: number, sx: number, sy: number, W: number, y: number, line: Uint8ClampedArray): void {
  const rowOff = (r: number) => (r < 0 ? 0 : r > h - 1 ? h - 1 : r) * stride;
  const fancy = (sx === 1 && sy === 2) || (w > 2 && sx === 2 && (sy === 1 || sy === 2));
  if (!fancy) {
    const o = rowOff(Math.floor(y / sy));
    for (let x = 0; x < W; x++) line[x] = plane[o + Math.floor(x / sx)];
    return;
  }
  if (sy === 1) {
    const o = rowOff(y);
    line[0] = plane[o];
    line[1] = (plane[o] * 3 + plane[o + 1] + 2) >> 2;
    for (let i = 1; i < w - 1; i++) {
      const c = plane[o + i] * 3;
      line[2 * i] = (c + plane[o + i - 1] + 1) >> 2;
      line[2 * i + 1] = (c + plane[o + i + 1] + 2) >> 2;
    }
    line[2 * w - 2] = (plane[o + w - 1] * 3 + plane[o + w - 2] + 1) >> 2;
    line[2 * w - 1] = plane[o + w - 1];
    return;
  }
  // Vertical triangle filter: 3 × the nearer row + the farther one.
  const yy = y >> 1;
  const o0 = rowOff(yy);
  const o1 = rowOff(y & 1 ? yy + 1 : yy - 1);
  if (sx === 1) {
    const bias = y & 1 ? 2 : 1;
    for (let i = 0; i < W; i++) line[i] = (plane[o0 + i] * 3 + plane[o1 + i] + bias) >> 2;
    return;
  }
  let cur = plane[o0] * 3 + plane[o1];
  let next = plane[o0 + 1] * 3 + plane[o1 + 1];
  line[0] = (cur * 4 + 8) >> 4;
  line[1] = (cur * 3 + next + 7) >> 4;
  for (let i = 1; i < w - 1; i++) {
    const last = cur;
    cur = next;
    next = plane[o0 + i + 1] * 3 + plane[o1 + i + 1];
    line[2 * i] = (cur * 3 + last + 8) >> 4;
    line[2 * i + 1] = (cur * 3 + next + 7) >> 4;
  }
  line[2 * w - 2] = (next * 3 + cur + 8) >> 4;
  line[2 * w - 1] = (next * 4 + 7) >> 4;
}
