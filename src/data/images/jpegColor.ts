/**
 * The last steps of libjpeg-turbo's decoder, reproduced exactly: chroma "fancy" upsampling
 * (jdsample.c: h2v1, h1v2, h2v2 triangle filters, context rows repeated at the edges) and the
 * fixed-point YCbCr→RGB tables (jdcolor.c). Used by jpegDecoder.ts.
 */
import type { RgbImage } from './types.ts';

/** What toRgb needs to know about a component. */
export interface PlaneInfo {
  h: number;
  v: number;
  /** Blocks per line (MCU-padded): the plane's stride is bpl × 8. */
  bpl: number;
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
const clamp = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : x);

export function toRgb(comps: PlaneInfo[], planes: Uint8Array[], W: number, H: number, maxH: number, maxV: number, ycc: boolean): RgbImage {
  const full = comps.map((c, i) => upsample(planes[i], c.bpl * 8, Math.ceil((W * c.h) / maxH), Math.ceil((H * c.v) / maxV), maxH / c.h, maxV / c.v, W, H));
  const out = new Uint8Array(W * H * 3);
  if (comps.length === 1) {
    for (let i = 0; i < W * H; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = full[0][i];
  } else if (!ycc) {
    for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = full[c][i];
  } else {
    const [Y, Cb, Cr] = full;
    for (let i = 0; i < W * H; i++) {
      const y = Y[i], b = Cb[i], r = Cr[i];
      out[i * 3] = clamp(y + CR_R[r]);
      out[i * 3 + 1] = clamp(y + ((CB_G[b] + CR_G[r]) >> 16));
      out[i * 3 + 2] = clamp(y + CB_B[b]);
    }
  }
  return { width: W, height: H, data: out };
}

/**
 * A component plane (stride × rows, valid w × h) to W×H: libjpeg-turbo's h2v1/h1v2/h2v2 fancy
 * upsampling when the plane is wider than 2 samples, replication otherwise or for other factors.
 * Context rows beyond the edges repeat the first/last valid row.
 */
function upsample(plane: Uint8Array, stride: number, w: number, h: number, sx: number, sy: number, W: number, H: number): Uint8Array {
  const out = new Uint8Array(W * H);
  const rowOff = (y: number) => Math.min(Math.max(y, 0), h - 1) * stride;
  const at = (x: number, y: number) => plane[rowOff(y) + x];
  const fancy = (sx === 1 && sy === 2) || (w > 2 && sx === 2 && (sy === 1 || sy === 2));
  const line = new Uint8Array(Math.max(2 * w, W));
  for (let y = 0; y < H; y++) {
    if (!fancy) {
      for (let x = 0; x < W; x++) out[y * W + x] = at(Math.floor(x / sx), Math.floor(y / sy));
      continue;
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
    } else {
      const yy = y >> 1;
      const o0 = rowOff(yy);
      const o1 = rowOff(y & 1 ? yy + 1 : yy - 1);
      const col = (i: number) => plane[o0 + i] * 3 + plane[o1 + i];
      if (sx === 1) {
        const bias = y & 1 ? 2 : 1;
        for (let i = 0; i < W; i++) line[i] = (col(i) + bias) >> 2;
      } else {
        let last = col(0), cur = last, next = col(1);
        line[0] = (cur * 4 + 8) >> 4;
        line[1] = (cur * 3 + next + 7) >> 4;
        for (let i = 1; i < w - 1; i++) {
          last = cur;
          cur = next;
          next = col(i + 1);
          line[2 * i] = (cur * 3 + last + 8) >> 4;
          line[2 * i + 1] = (cur * 3 + next + 7) >> 4;
        }
        line[2 * w - 2] = (next * 3 + cur + 8) >> 4;
        line[2 * w - 1] = (next * 4 + 7) >> 4;
      }
    }
    out.set(line.subarray(0, W), y * W);
  }
  return out;
}
