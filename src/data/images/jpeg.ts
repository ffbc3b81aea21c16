import jpeg from 'jpeg-js';
import type { RgbImage } from './types.ts';

/**
 * JPEG → RGB as close to PIL (libjpeg-turbo, default settings) as a pure-JS decoder gets.
 *
 * jpeg-js does the entropy decoding and the IDCT. Its chroma upsampling (pixel replication)
 * and float colour conversion are not libjpeg's, and at colour edges of 4:2:0 photos that moved
 * pixels by tens of levels. So we ask jpeg-js for the raw Y/Cb/Cr planes (colorTransform off),
 * read the chroma planes back at their native resolution (replication keeps every native sample
 * at even positions), and redo what libjpeg does: "fancy" triangle-filter upsampling for h2v1
 * and h2v2 (jdsample.c) and the fixed-point YCbCr→RGB tables (jdcolor.c). What remains is the
 * IDCT rounding difference (jpeg-js vs libjpeg's islow), about ±1 level.
 *
 * Other layouts (4:1:1, Adobe-transformed, CMYK) keep jpeg-js's own conversion.
 */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbImage {
  const frame = readFrame(bytes);
  const raw = frame && frame.components.length === 3 && !frame.adobeTransform && supported(frame);
  const j = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    tolerantDecoding: false,
    colorTransform: raw ? false : undefined,
    maxResolutionInMP: Math.ceil(maxPixels / 1e6),
    maxMemoryUsageInMB: 1024,
  });
  const img = { width: j.width, height: j.height, data: j.data as Uint8Array };
  if (!raw || !frame) return img;
  return yccToRgb(img, frame);
}

interface Frame {
  components: { h: number; v: number }[];
  hMax: number;
  vMax: number;
  adobeTransform: boolean;
}

function readFrame(b: Uint8Array): Frame | null {
  let p = 2;
  let adobeTransform = false;
  while (p + 4 <= b.length && b[p] === 0xff) {
    const m = b[p + 1];
    const len = (b[p + 2] << 8) | b[p + 3];
    if (m === 0xee && len >= 12 && String.fromCharCode(...b.subarray(p + 4, p + 9)) === 'Adobe') adobeTransform = b[p + 15] !== 0;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      const n = b[p + 9];
      const components = Array.from({ length: n }, (_, i) => ({ h: b[p + 11 + i * 3] >> 4, v: b[p + 11 + i * 3] & 15 }));
      return { components, hMax: Math.max(...components.map((c) => c.h)), vMax: Math.max(...components.map((c) => c.v)), adobeTransform };
    }
    if (m === 0xda) break;
    p += 2 + len;
  }
  return null;
}

/** Chroma factors libjpeg upsamples with its fancy filters (or not at all). */
function supported(f: Frame): boolean {
  return f.components.slice(1).every((c) => {
    const sx = f.hMax / c.h;
    const sy = f.vMax / c.v;
    return (sx === 1 || sx === 2) && (sy === 1 || sy === 2) && !(sx === 1 && sy === 2);
  }) && f.components[0].h === f.hMax && f.components[0].v === f.vMax;
}

// jdcolor.c build_ycc_rgb_table: 16-bit fixed point, arithmetic right shifts.
const FIX = (x: number) => Math.floor(x * 65536 + 0.5);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (FIX(1.402) * x + 32768) >> 16;
  CB_B[i] = (FIX(1.772) * x + 32768) >> 16;
  CR_G[i] = -FIX(0.71414) * x;
  CB_G[i] = -FIX(0.34414) * x + 32768;
}
const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

function yccToRgb(img: RgbImage, f: Frame): RgbImage {
  const { width: W, height: H, data } = img;
  const planes = [1, 2].map((c) => upsample(data, W, H, c, f.hMax / f.components[c].h, f.vMax / f.components[c].v));
  const [cb, cr] = planes;
  const out = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    const y = data[i * 3];
    const b = cb[i];
    const r = cr[i];
    out[i * 3] = clamp(y + CR_R[r]);
    out[i * 3 + 1] = clamp(y + ((CB_G[b] + CR_G[r]) >> 16));
    out[i * 3 + 2] = clamp(y + CB_B[b]);
  }
  return { width: W, height: H, data: out };
}

/**
 * Channel `c` of jpeg-js's replicated output, back at native resolution, then upsampled with
 * libjpeg's h2v1 / h2v2 fancy filters (edge rows and columns replicated, as libjpeg's context
 * rows are). Returns a full-size W×H plane.
 */
function upsample(data: Uint8Array, W: number, H: number, c: number, sx: number, sy: number): Uint8Array {
  const full = new Uint8Array(W * H);
  if (sx === 1 && sy === 1) {
    for (let i = 0; i < W * H; i++) full[i] = data[i * 3 + c];
    return full;
  }
  const w = Math.ceil(W / sx);
  const h = Math.ceil(H / sy);
  const nat = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) nat[y * w + x] = data[((y * sy) * W + x * sx) * 3 + c];
  const row = (y: number) => nat.subarray(Math.min(Math.max(y, 0), h - 1) * w, (Math.min(Math.max(y, 0), h - 1) + 1) * w);
  const line = new Uint8Array(2 * w);
  for (let y = 0; y < H; y++) {
    if (sy === 1) {
      // h2v1_fancy_upsample
      const r = row(y);
      if (w === 1) line[0] = line[1] = r[0];
      else {
        line[0] = r[0];
        line[1] = (r[0] * 3 + r[1] + 2) >> 2;
        for (let i = 1; i < w - 1; i++) {
          const v = r[i] * 3;
          line[2 * i] = (v + r[i - 1] + 1) >> 2;
          line[2 * i + 1] = (v + r[i + 1] + 2) >> 2;
        }
        line[2 * w - 2] = (r[w - 1] * 3 + r[w - 2] + 1) >> 2;
        line[2 * w - 1] = r[w - 1];
      }
    } else {
      // h2v2_fancy_upsample: vertical 3:1 mix with the nearer neighbour row, then horizontal.
      const yy = y >> 1;
      const r0 = row(yy);
      const r1 = row(y & 1 ? yy + 1 : yy - 1);
      const col = (i: number) => r0[i] * 3 + r1[i];
      if (w === 1) {
        const t = col(0);
        line[0] = (t * 4 + 8) >> 4;
        line[1] = (t * 4 + 7) >> 4;
      } else {
        let last = col(0);
        let cur = last;
        let next = col(1);
        line[0] = (cur * 4 + 8) >> 4;
        line[1] = (cur * 3 + next + 7) >> 4;
        for (let i = 1; i < w - 1; i++) {
          last = cur;
          cur = next;
          next = col(i + 1);
          line[2 * i] = (cur * 3 + last + 8) >> 4;
          line[2 * i + 1] = (cur * 3 + next + 7) >> 4;
        }
        last = cur;
        cur = next;
        line[2 * w - 2] = (cur * 3 + last + 8) >> 4;
        line[2 * w - 1] = (cur * 4 + 7) >> 4;
      }
    }
    full.set(line.subarray(0, W), y * W);
  }
  return full;
}
