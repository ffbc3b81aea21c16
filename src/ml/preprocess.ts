/**
 * Our own CLIP image preprocessing, bit-for-bit the same as Hugging Face's CLIPImageProcessor
 * running on PIL (the reference every published CLIP embedding was made with), and the same in
 * Node and in a worker because it is plain arithmetic on RGB bytes — transformers.js would use
 * sharp in Node and a canvas in the browser, which differ.
 *
 * Steps (transformers CLIPImageProcessor.preprocess): RGB (done by the decoder: alpha dropped) →
 * resize the shortest edge to `size`, long edge int(size·long/short), PIL BICUBIC → centre crop
 * (top = (h − crop) // 2) → ×(1/255) in float64 then float32 → (x − mean) / std in float32 → CHW.
 * Parity with PIL is tested on awkward images (src/ml/preprocess.test.ts).
 */
import { resampleSimd, simdResampleAvailable, type PassCoeffs } from './resampleSimd.ts';

/** An 8-bit RGB image, interleaved (same shape as src/data/images RgbImage; ml may not import data). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface PreprocessConfig {
  /** Shortest edge after resizing; or an exact size when `resizeTo` is set. */
  shortestEdge: number;
  /** Exact target size, for processors configured with size {height, width}. */
  resizeTo?: { height: number; width: number };
  doResize: boolean;
  doCenterCrop: boolean;
  crop: { height: number; width: number };
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  /** PIL resample filter: 2 = BILINEAR, 3 = BICUBIC (CLIP's). */
  resample: 2 | 3;
  mean: [number, number, number];
  std: [number, number, number];
}

export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

/** Reads a preprocessor_config.json the way CLIPImageProcessor does (defaults: 224, CLIP mean/std). */
export function preprocessConfigFromJson(j: Record<string, unknown>): PreprocessConfig {
  const size = j.size as number | { shortest_edge?: number; height?: number; width?: number } | undefined;
  const crop = j.crop_size as number | { height: number; width: number } | undefined;
  const triple = (v: unknown, d: [number, number, number]) =>
    Array.isArray(v) && v.length === 3 ? (v.map(Number) as [number, number, number]) : typeof v === 'number' ? ([v, v, v] as [number, number, number]) : d;
  let shortestEdge = 224;
  let resizeTo: PreprocessConfig['resizeTo'];
  if (typeof size === 'number') shortestEdge = size;
  else if (size?.shortest_edge) shortestEdge = size.shortest_edge;
  else if (size?.height && size?.width) resizeTo = { height: size.height, width: size.width };
  const cropSize = typeof crop === 'number' ? { height: crop, width: crop } : crop ?? { height: shortestEdge, width: shortestEdge };
  return {
    shortestEdge,
    resizeTo,
    doResize: j.do_resize !== false,
    doCenterCrop: j.do_center_crop !== false,
    crop: cropSize,
    doRescale: j.do_rescale !== false,
    rescaleFactor: typeof j.rescale_factor === 'number' ? j.rescale_factor : 1 / 255,
    doNormalize: j.do_normalize !== false,
    resample: j.resample === 2 ? 2 : 3,
    mean: triple(j.image_mean, CLIP_MEAN),
    std: triple(j.image_std, CLIP_STD),
  };
}

// ---------------------------------------------------------------------------------------------
// PIL's resampling (libImaging/Resample.c): separable, horizontal pass then vertical pass, each
// rounding to uint8; the filter support widens with the downscale factor (antialiasing); double
// coefficients normalised to sum 1 then converted to 22-bit fixed point.

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

function bilinear(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // xmin, count per output pixel
  kk: Int32Array; // fixed-point weights, ksize per output pixel
  /**
   * Whether 255·Σ|weights| + HALF < 2^31 for every output pixel, so the fixed-point sums are
   * int32 and `>> PRECISION_BITS` is PIL's clip8 shift; otherwise the sums are divided instead.
   * (Bicubic weights sum to 1 with small negative lobes: always true in practice.)
   */
  int32: boolean;
}

const FILTERS = { 2: { fn: bilinear, support: 1 }, 3: { fn: bicubic, support: 2 } } as const;

function precomputeCoeffs(inSize: number, outSize: number, resample: 2 | 3): Coeffs {
  const filter = FILTERS[resample];
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterscale;
  let int32 = true;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    k.fill(0);
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) if (ww !== 0) k[x] /= ww;
    let abs = 0;
    for (let x = 0; x < ksize; x++) {
      const v = k[x] * ONE;
      const q = Math.trunc(k[x] < 0 ? -0.5 + v : 0.5 + v);
      kk[xx * ksize + x] = q;
      abs += Math.abs(q);
    }
    if (255 * abs + HALF >= 2 ** 31) int32 = false;
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk, int32 };
}

const SCRATCH_MAX = 16 << 20;
let scratchBuf = new Uint8Array(0);

/** A reusable buffer of `n` bytes (fresh above 16 MB, so a huge image's scratch is not kept). */
function scratch(n: number): Uint8Array {
  if (n > SCRATCH_MAX) return new Uint8Array(n);
  if (scratchBuf.length < n) scratchBuf = new Uint8Array(n);
  return scratchBuf.subarray(0, n);
}

/** PIL's clip8 for a sum that may be outside int32: floor(ss / 2^22), clamped by the store. */
const shiftDown = (ss: number) => Math.floor(ss / ONE);

/**
 * `resizeBicubic(img, width, height)` followed by a crop of (left, top, w, h) inside the resized
 * image, computing only the pixels the crop keeps: the same per-pixel arithmetic as the full
 * resize (each output pixel depends only on its own filter window), so bit-identical, but the
 * horizontal pass skips the columns and rows the crop drops (a quarter of the work for a 4:3
 * photo cropped square). Works straight on the decoder's interleaved RGB bytes; the outputs are
 * written through Uint8ClampedArray views, whose stores clamp to 0..255 as clip8 does.
 */
export function resizeCropped(img: RgbImage, width: number, height: number, resample: 2 | 3, left: number, top: number, w: number, h: number): RgbImage {
  const src = img.data;
  const W0 = img.width;
  // Rows of the source the vertical pass needs (all rows of the crop's filter windows).
  const vert = height !== img.height ? precomputeCoeffs(img.height, height, resample) : null;
  let rowMin = top;
  let rowEnd = top + h;
  if (vert) {
    rowMin = Infinity;
    rowEnd = 0;
    for (let yy = top; yy < top + h; yy++) {
      rowMin = Math.min(rowMin, vert.bounds[yy * 2]);
      rowEnd = Math.max(rowEnd, vert.bounds[yy * 2] + vert.bounds[yy * 2 + 1]);
    }
  }
  const rows = rowEnd - rowMin;
  const horiz = width !== W0 ? precomputeCoeffs(W0, width, resample) : null;
  if ((horiz || vert) && (horiz?.int32 ?? true) && (vert?.int32 ?? true) && simdResampleAvailable()) {
    // The same passes in WebAssembly SIMD (resample.wat): the same bytes, ~3× faster.
    const hc = horiz && { ksize: horiz.ksize, bounds: horiz.bounds.subarray(left * 2, (left + w) * 2), kk: horiz.kk.subarray(left * horiz.ksize, (left + w) * horiz.ksize) };
    let vc: PassCoeffs | null = null;
    if (vert) {
      const b = vert.bounds.slice(top * 2, (top + h) * 2);
      for (let i = 0; i < b.length; i += 2) b[i] -= rowMin;
      vc = { ksize: vert.ksize, bounds: b, kk: vert.kk.subarray(top * vert.ksize, (top + h) * vert.ksize) };
    }
    const data = resampleSimd(src, W0, rowMin, rows, left, w, h, hc, vc);
    if (data) return { width: w, height: h, data };
  }
  // Horizontal pass (or plain column crop): rows [rowMin, rowEnd) × columns [left, left + w).
  // The intermediate image is scratch when a vertical pass follows (reused between calls).
  const mid = vert ? scratch(w * rows * 3) : new Uint8Array(w * rows * 3);
  if (horiz) {
    const { ksize, bounds, kk, int32 } = horiz;
    // Weights as doubles (the sums stay exact integers far below 2^53; V8 does float
    // multiply-adds without int32 overflow checks), and two source rows per pass over the
    // weights: each weight load feeds six multiply-adds.
    const kf = Float64Array.from(kk);
    const mid8 = new Uint8ClampedArray(mid.buffer, mid.byteOffset, mid.length);
    const rs = W0 * 3, ow = w * 3;
    const down = (v: number) => (int32 ? v >> PRECISION_BITS : shiftDown(v));
    if (int32) {
      horizontal4(src, rowMin, rows, rs, mid8, ow, left, w, bounds, kf, ksize);
    } else for (let y = 0; y < rows; y += 2) {
      const two = y + 1 < rows;
      const row = (rowMin + y) * rs;
      const row2 = two ? row + rs : row; // the last odd row is simply done twice
      let o = y * ow;
      const o2 = two ? ow : 0;
      for (let xx = left; xx < left + w; xx++, o += 3) {
        const n = bounds[xx * 2 + 1];
        const x0 = bounds[xx * 2] * 3;
        let p = row + x0, q = row2 + x0;
        let s0 = HALF, s1 = HALF, s2 = HALF, t0 = HALF, t1 = HALF, t2 = HALF;
        for (let i = xx * ksize, end = i + n; i < end; i++, p += 3, q += 3) {
          const wt = kf[i];
          s0 += src[p] * wt;
          s1 += src[p + 1] * wt;
          s2 += src[p + 2] * wt;
          t0 += src[q] * wt;
          t1 += src[q + 1] * wt;
          t2 += src[q + 2] * wt;
        }
        mid8[o] = down(s0);
        mid8[o + 1] = down(s1);
        mid8[o + 2] = down(s2);
        mid8[o + o2] = down(t0);
        mid8[o + o2 + 1] = down(t1);
        mid8[o + o2 + 2] = down(t2);
      }
    }
  } else {
    for (let y = 0; y < rows; y++) mid.set(src.subarray(((rowMin + y) * W0 + left) * 3, ((rowMin + y) * W0 + left + w) * 3), y * w * 3);
  }
  if (!vert) return { width: w, height: h, data: mid };
  // Vertical pass: four neighbouring bytes of an output row at a time, each sum kept in a
  // register while walking down the filter's rows (float weights, exact as above).
  const { ksize, bounds, kk, int32 } = vert;
  const kf = Float64Array.from(kk);
  const down = (v: number) => (int32 ? v >> PRECISION_BITS : shiftDown(v));
  const out = new Uint8Array(w * h * 3);
  const out8 = new Uint8ClampedArray(out.buffer);
  const rowLen = w * 3;
  const quads = rowLen - (rowLen % 4);
  for (let y = 0; y < h; y++) {
    const yy = top + y;
    const base = (bounds[yy * 2] - rowMin) * rowLen;
    const k0 = yy * ksize, k1 = k0 + bounds[yy * 2 + 1];
    const o = y * rowLen;
    let j = 0;
    if (int32) {
      // Eight bytes per walk down the filter's rows (each weight load feeds eight multiply-adds).
      for (; j + 8 <= rowLen; j += 8) {
        let s0 = HALF, s1 = HALF, s2 = HALF, s3 = HALF, s4 = HALF, s5 = HALF, s6 = HALF, s7 = HALF;
        for (let i = k0, p = base + j; i < k1; i++, p += rowLen) {
          const wt = kf[i];
          s0 += mid[p] * wt;
          s1 += mid[p + 1] * wt;
          s2 += mid[p + 2] * wt;
          s3 += mid[p + 3] * wt;
          s4 += mid[p + 4] * wt;
          s5 += mid[p + 5] * wt;
          s6 += mid[p + 6] * wt;
          s7 += mid[p + 7] * wt;
        }
        out8[o + j] = s0 >> PRECISION_BITS;
        out8[o + j + 1] = s1 >> PRECISION_BITS;
        out8[o + j + 2] = s2 >> PRECISION_BITS;
        out8[o + j + 3] = s3 >> PRECISION_BITS;
        out8[o + j + 4] = s4 >> PRECISION_BITS;
        out8[o + j + 5] = s5 >> PRECISION_BITS;
        out8[o + j + 6] = s6 >> PRECISION_BITS;
        out8[o + j + 7] = s7 >> PRECISION_BITS;
      }
    }
    for (; j < quads; j += 4) {
      let s0 = HALF, s1 = HALF, s2 = HALF, s3 = HALF;
      for (let i = k0, p = base + j; i < k1; i++, p += rowLen) {
        const wt = kf[i];
        s0 += mid[p] * wt;
        s1 += mid[p + 1] * wt;
        s2 += mid[p + 2] * wt;
        s3 += mid[p + 3] * wt;
      }
      out8[o + j] = down(s0);
      out8[o + j + 1] = down(s1);
      out8[o + j + 2] = down(s2);
      out8[o + j + 3] = down(s3);
    }
    for (; j < rowLen; j++) {
      let s0 = HALF;
      for (let i = k0, p = base + j; i < k1; i++, p += rowLen) s0 += mid[p] * kf[i];
      out8[o + j] = down(s0);
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * The horizontal pass when every sum fits in int32 (always, for bicubic and bilinear): four
 * source rows per walk over a pixel's weights, so each weight load feeds twelve multiply-adds
 * (~1.4× the two-row loop). At the bottom, missing rows repeat the last one (computed twice,
 * written to the same place). Same arithmetic as Resample.c, so the same bytes.
 */
function horizontal4(src: Uint8Array, rowMin: number, rows: number, rs: number, mid8: Uint8ClampedArray, ow: number, left: number, w: number, bounds: Int32Array, kf: Float64Array, ksize: number): void {
  for (let y = 0; y < rows; y += 4) {
    const y1 = y + 1 < rows ? y + 1 : rows - 1, y2 = y + 2 < rows ? y + 2 : rows - 1, y3 = y + 3 < rows ? y + 3 : rows - 1;
    const row = (rowMin + y) * rs;
    const d1 = (y1 - y) * rs, d2 = (y2 - y) * rs, d3 = (y3 - y) * rs;
    const o1 = (y1 - y) * ow, o2 = (y2 - y) * ow, o3 = (y3 - y) * ow;
    let o = y * ow;
    for (let xx = left; xx < left + w; xx++, o += 3) {
      const n = bounds[xx * 2 + 1];
      let p = row + bounds[xx * 2] * 3;
      let a0 = HALF, a1 = HALF, a2 = HALF, b0 = HALF, b1 = HALF, b2 = HALF;
      let c0 = HALF, c1 = HALF, c2 = HALF, e0 = HALF, e1 = HALF, e2 = HALF;
      for (let i = xx * ksize, end = i + n; i < end; i++, p += 3) {
        const wt = kf[i];
        a0 += src[p] * wt;
        a1 += src[p + 1] * wt;
        a2 += src[p + 2] * wt;
        b0 += src[p + d1] * wt;
        b1 += src[p + d1 + 1] * wt;
        b2 += src[p + d1 + 2] * wt;
        c0 += src[p + d2] * wt;
        c1 += src[p + d2 + 1] * wt;
        c2 += src[p + d2 + 2] * wt;
        e0 += src[p + d3] * wt;
        e1 += src[p + d3 + 1] * wt;
        e2 += src[p + d3 + 2] * wt;
      }
      mid8[o] = a0 >> PRECISION_BITS;
      mid8[o + 1] = a1 >> PRECISION_BITS;
      mid8[o + 2] = a2 >> PRECISION_BITS;
      mid8[o + o1] = b0 >> PRECISION_BITS;
      mid8[o + o1 + 1] = b1 >> PRECISION_BITS;
      mid8[o + o1 + 2] = b2 >> PRECISION_BITS;
      mid8[o + o2] = c0 >> PRECISION_BITS;
      mid8[o + o2 + 1] = c1 >> PRECISION_BITS;
      mid8[o + o2 + 2] = c2 >> PRECISION_BITS;
      mid8[o + o3] = e0 >> PRECISION_BITS;
      mid8[o + o3 + 1] = e1 >> PRECISION_BITS;
      mid8[o + o3 + 2] = e2 >> PRECISION_BITS;
    }
  }
}

/** PIL `Image.resize((w, h), resample)` on an RGB image (BICUBIC by default): the crop that keeps everything. */
export function resizeBicubic(img: RgbImage, width: number, height: number, resample: 2 | 3 = 3): RgbImage {
  return resizeCropped(img, width, height, resample, 0, 0, width, height);
}

// ---------------------------------------------------------------------------------------------

/** Crops a rectangle (clamped to the image). */
export function cropRgb(img: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.max(y0 + y, 0), img.height - 1);
    for (let x = 0; x < w; x++) {
      const sx = Math.min(Math.max(x0 + x, 0), img.width - 1);
      const s = (sy * img.width + sx) * 3;
      const d = (y * w + x) * 3;
      out[d] = img.data[s];
      out[d + 1] = img.data[s + 1];
      out[d + 2] = img.data[s + 2];
    }
  }
  return { width: w, height: h, data: out };
}

/** Pads to a centred square with the normalisation mean colour, so padding normalises to ~0. */
export function padToSquare(img: RgbImage, mean: [number, number, number] = CLIP_MEAN): RgbImage {
  const S = Math.max(img.width, img.height);
  if (img.width === img.height) return img;
  const fill = mean.map((m) => Math.round(m * 255));
  const out = new Uint8Array(S * S * 3);
  for (let i = 0; i < S * S; i++) out.set(fill, i * 3);
  const ox = (S - img.width) >> 1;
  const oy = (S - img.height) >> 1;
  for (let y = 0; y < img.height; y++) {
    out.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((oy + y) * S + ox) * 3);
  }
  return { width: S, height: S, data: out };
}

/** Resize + centre crop: the uint8 image the model sees, before rescaling and normalising. */
export function resizeAndCrop(img: RgbImage, cfg: PreprocessConfig): RgbImage {
  let cur = img;
  if (cfg.doResize) {
    let w: number, h: number;
    if (cfg.resizeTo) ({ width: w, height: h } = cfg.resizeTo);
    else {
      const s = cfg.shortestEdge;
      const short = Math.min(img.width, img.height);
      const long = Math.max(img.width, img.height);
      const newLong = Math.trunc((s * long) / short); // Python int(size * long / short)
      [w, h] = img.width <= img.height ? [s, newLong] : [newLong, s];
    }
    if (cfg.doCenterCrop && cfg.crop.height <= h && cfg.crop.width <= w) {
      // Resize and centre crop in one pass (bit-identical to resizing, then cropping).
      const top = Math.floor((h - cfg.crop.height) / 2);
      const left = Math.floor((w - cfg.crop.width) / 2);
      return resizeCropped(cur, w, h, cfg.resample, left, top, cfg.crop.width, cfg.crop.height);
    }
    cur = resizeBicubic(cur, w, h, cfg.resample);
  }
  if (cfg.doCenterCrop) {
    const { height: ch, width: cw } = cfg.crop;
    // HF center_crop pads with zeros when the crop is larger; our clamping crop only matters
    // for do_resize=false configs, which CLIP models do not use.
    const top = Math.floor((cur.height - ch) / 2);
    const left = Math.floor((cur.width - cw) / 2);
    if (top !== 0 || left !== 0 || ch !== cur.height || cw !== cur.width) cur = cropRgb(cur, left, top, cw, ch);
  }
  return cur;
}

/**
 * The float32 value of each byte after rescale + normalise, per channel: numpy's float32
 * rounding at every step (×rescale in float64 then float32, − mean, ÷ std in float32). A byte
 * has only 256 values, so a table gives the same floats as computing every pixel.
 */
function pixelTable(cfg: PreprocessConfig): Float32Array {
  const f = Math.fround;
  const t = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = f(cfg.mean[c]);
    const s = f(cfg.std[c]);
    for (let b = 0; b < 256; b++) {
      let v = b;
      if (cfg.doRescale) v = f(v * cfg.rescaleFactor);
      if (cfg.doNormalize) v = f(f(v - m) / s);
      t[c * 256 + b] = v;
    }
  }
  return t;
}

let lastTable: { cfg: PreprocessConfig; key: string; table: Float32Array } | null = null;

function tableFor(cfg: PreprocessConfig): Float32Array {
  const key = JSON.stringify([cfg.doRescale, cfg.rescaleFactor, cfg.doNormalize, cfg.mean, cfg.std]);
  if (lastTable?.key !== key) lastTable = { cfg, key, table: pixelTable(cfg) };
  return lastTable.table;
}

/** Rescale + normalise to float32 CHW, with numpy's float32 rounding at every step. */
export function toPixelValues(img: RgbImage, cfg: PreprocessConfig, out?: Float32Array, offset = 0): Float32Array {
  const hw = img.width * img.height;
  const dst = out ?? new Float32Array(3 * hw);
  const t = tableFor(cfg);
  const src = img.data;
  for (let i = 0, j = offset; i < hw; i++, j++) {
    dst[j] = t[src[i * 3]];
    dst[j + hw] = t[256 + src[i * 3 + 1]];
    dst[j + 2 * hw] = t[512 + src[i * 3 + 2]];
  }
  return dst;
}

export interface RegionOptions {
  /** 1 = full image only; 2 or 3 = full image plus a 2×2 or 3×3 grid of overlapping crops. */
  grid?: 1 | 2 | 3;
  /** Pad to a square with the mean colour instead of centre-cropping (keeps the borders). */
  pad?: boolean;
}

/** Number of regions per image for a grid setting: the full image first, then the grid cells. */
export function regionCount(grid: 1 | 2 | 3): number {
  return grid === 1 ? 1 : 1 + grid * grid;
}

/**
 * Grid crop boxes [x0, y0, x1, y1], row by row. Each crop spans 1/(n − (n−1)/3) of the image
 * (0.6 for 2×2, 3/7 for 3×3), so neighbouring crops overlap by a third of a crop: an object cut
 * by one border is whole in the neighbour. Positions are spread evenly edge to edge and rounded
 * half up (tools/fixtures/make_image_fixtures.py uses the same formula for its references).
 */
export function gridBoxes(width: number, height: number, n: number): [number, number, number, number][] {
  const f = 1 / (n - (n - 1) / 3);
  const cw = Math.max(1, Math.floor(width * f + 0.5));
  const ch = Math.max(1, Math.floor(height * f + 0.5));
  const boxes: [number, number, number, number][] = [];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const x0 = Math.floor((i * (width - cw)) / (n - 1) + 0.5);
      const y0 = Math.floor((j * (height - ch)) / (n - 1) + 0.5);
      boxes.push([x0, y0, x0 + cw, y0 + ch]);
    }
  }
  return boxes;
}

/** The region images of one picture: full image, then grid crops, before preprocessing. */
export function regionImages(img: RgbImage, grid: 1 | 2 | 3 = 1): RgbImage[] {
  const out = [img];
  if (grid > 1) for (const [x0, y0, x1, y1] of gridBoxes(img.width, img.height, grid)) out.push(cropRgb(img, x0, y0, x1 - x0, y1 - y0));
  return out;
}

/** Final input size [H, W] for a config. */
export function inputSize(cfg: PreprocessConfig): [number, number] {
  if (cfg.doCenterCrop) return [cfg.crop.height, cfg.crop.width];
  if (cfg.resizeTo) return [cfg.resizeTo.height, cfg.resizeTo.width];
  return [cfg.shortestEdge, cfg.shortestEdge];
}

/**
 * pixel_values for a batch of images × regions: Float32Array [B·R, 3, H, W], image-major
 * (image 0's regions first). Every region goes through the same resize/crop/normalise.
 * With `out`, writes there (from float index `offset`) instead of allocating.
 */
export function preprocessBatch(images: RgbImage[], cfg: PreprocessConfig, opts: RegionOptions = {}, out?: Float32Array, offset = 0): { data: Float32Array; dims: [number, number, number, number] } {
  const grid = opts.grid ?? 1;
  const [H, W] = inputSize(cfg);
  const R = regionCount(grid);
  const data = out ?? new Float32Array(images.length * R * 3 * H * W);
  if (data.length < offset + images.length * R * 3 * H * W) throw new Error('preprocessBatch: output buffer too small');
  let k = 0;
  for (const img of images) {
    for (const region of regionImages(img, grid)) {
      const sq = opts.pad ? padToSquare(region, cfg.mean) : region;
      const ready = resizeAndCrop(sq, cfg);
      if (ready.width !== W || ready.height !== H) throw new Error(`preprocessing produced ${ready.width}×${ready.height}, expected ${W}×${H}`);
      toPixelValues(ready, cfg, data, offset + k * 3 * H * W);
      k++;
    }
  }
  return { data, dims: [images.length * R, 3, H, W] };
}
