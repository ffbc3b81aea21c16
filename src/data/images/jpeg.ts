import jpeg from 'jpeg-js';
import type { RgbImage } from './types.ts';
import { decodeJpegExact, UnsupportedJpeg } from './jpegDecoder.ts';

/**
 * JPEG → RGB identical to PIL (libjpeg-turbo, default settings): 8-bit baseline and progressive
 * JPEGs with 1 or 3 components — practically every photo — go through our own decoder
 * (jpegDecoder.ts), bit-exact with libjpeg-turbo. The rest (CMYK/YCCK, which PIL converts
 * naively anyway) falls back to jpeg-js, within a level or two of PIL. jpeg-js alone would be
 * off by up to ~70 levels at colour edges of 4:2:0 photos (it replicates chroma where libjpeg
 * interpolates) and by a few levels elsewhere (IDCT and colour rounding).
 */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbImage {
  try {
    return decodeJpegExact(bytes);
  } catch (e) {
    if (!(e instanceof UnsupportedJpeg)) throw e;
  }
  const j = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    tolerantDecoding: false,
    maxResolutionInMP: Math.ceil(maxPixels / 1e6),
    maxMemoryUsageInMB: 1024,
  });
  return { width: j.width, height: j.height, data: j.data as Uint8Array };
}
