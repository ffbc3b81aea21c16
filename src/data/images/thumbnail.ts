import jpeg from 'jpeg-js';
import type { RgbImage } from './types.ts';

/**
 * A thumbnail that fits in maxSide×maxSide, by area averaging (each output pixel is the mean of
 * the source area it covers, with fractional edge weights). Cheap, alias-free, and good enough
 * for a gallery; the model never sees thumbnails, so no PIL parity is needed here.
 */
export function thumbnail(img: RgbImage, maxSide: number): RgbImage {
  const scale = Math.min(1, maxSide / Math.max(img.width, img.height));
  if (scale === 1) return img;
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const horizontal = resizeAxis(img.data, img.width, img.height, w, true);
  return { width: w, height: h, data: resizeAxis(horizontal, w, img.height, h, false) };
}

/** One separable area-average pass along x (horizontal) or y, on RGB bytes. */
function resizeAxis(src: Uint8Array, W: number, H: number, out: number, horizontal: boolean): Uint8Array {
  const inLen = horizontal ? W : H;
  const ow = horizontal ? out : W;
  const oh = horizontal ? H : out;
  const dst = new Uint8Array(ow * oh * 3);
  const ratio = inLen / out;
  const acc = new Float64Array(3);
  for (let o = 0; o < out; o++) {
    const a = o * ratio;
    const b = a + ratio;
    for (let line = 0; line < (horizontal ? H : W); line++) {
      acc.fill(0);
      for (let i = Math.floor(a); i < Math.min(Math.ceil(b), inLen); i++) {
        const wgt = Math.min(b, i + 1) - Math.max(a, i);
        const s = (horizontal ? line * W + i : i * W + line) * 3;
        acc[0] += src[s] * wgt;
        acc[1] += src[s + 1] * wgt;
        acc[2] += src[s + 2] * wgt;
      }
      const d = (horizontal ? line * ow + o : o * ow + line) * 3;
      for (let c = 0; c < 3; c++) dst[d + c] = Math.round(acc[c] / ratio);
    }
  }
  return dst;
}

/** Encodes a thumbnail as a JPEG file (small to store in IndexedDB, shown with an object URL). */
export function encodeJpeg(img: RgbImage, quality = 80): Uint8Array {
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    rgba[i * 4] = img.data[i * 3];
    rgba[i * 4 + 1] = img.data[i * 3 + 1];
    rgba[i * 4 + 2] = img.data[i * 3 + 2];
    rgba[i * 4 + 3] = 255;
  }
  // jpeg-js ends with `typeof module === 'undefined' ? new Uint8Array(out) : Buffer.from(out)`; in a
  // bundle `module` is defined by the CommonJS wrapper, so in a browser or worker (no Buffer) every
  // encode threw and every thumbnail came back null. A Buffer.from stand-in for the call fixes that.
  const g = globalThis as { Buffer?: unknown };
  const shim = g.Buffer === undefined;
  if (shim) g.Buffer = { from: (a: ArrayLike<number>) => Uint8Array.from(a) };
  try {
    return new Uint8Array(jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality).data);
  } finally {
    if (shim) delete g.Buffer;
  }
}

/**
 * JPEG bytes of an image with the platform's encoder where there is one (OffscreenCanvas in a
 * browser or worker: about a millisecond for a thumbnail), else jpeg-js ({@link encodeJpeg}),
 * which rebuilds its tables on every call (about 95 ms per thumbnail measured in Node here).
 */
export async function encodeJpegAsync(img: RgbImage, quality = 80): Promise<Uint8Array> {
  if (typeof OffscreenCanvas === 'function' && typeof ImageData === 'function') {
    try {
      const rgba = new Uint8ClampedArray(img.width * img.height * 4);
      for (let i = 0; i < img.width * img.height; i++) {
        rgba[i * 4] = img.data[i * 3];
        rgba[i * 4 + 1] = img.data[i * 3 + 1];
        rgba[i * 4 + 2] = img.data[i * 3 + 2];
        rgba[i * 4 + 3] = 255;
      }
      const canvas = new OffscreenCanvas(img.width, img.height);
      const ctx = canvas.getContext('2d');
      if (ctx) {
        ctx.putImageData(new ImageData(rgba, img.width, img.height), 0, 0);
        const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: quality / 100 });
        return new Uint8Array(await blob.arrayBuffer());
      }
    } catch {
      // Fall back to the pure-JS encoder below.
    }
  }
  return encodeJpeg(img, quality);
}
