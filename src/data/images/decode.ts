import { decodePng } from './png.ts';
import { decodeBmp } from './bmp.ts';
import { decodeGif } from './gif.ts';
import { decodeJpeg } from './jpeg.ts';
import { applyOrientation, containerOrientation, jpegOrientation } from './orientation.ts';
import {
  ImageDecodeError, type DecodeOptions, type DecodedImage, type ImageFormat, type PlatformDecoder, type RgbImage,
} from './types.ts';

/**
 * Decodes image files to RGB without the DOM (no <img>, no canvas), so a worker and Node produce
 * the same bytes — the canvas path colour-manages and premultiplies differently per browser.
 * PNG (our own decoder, png.ts), JPEG (our own exact decoder, jpeg-js for CMYK; with EXIF orientation), GIF first frame (our own reader, gif.ts) and BMP are
 * pure JS. WebP has no reasonable pure-JS decoder: it goes through the platform decoder
 * (createImageBitmap in browsers/workers by default; Node callers register sharp).
 */
export const DEFAULT_MAX_PIXELS = 150_000_000;
export const DEFAULT_REDUCE_ABOVE = 40_000_000;

let platformDecoder: PlatformDecoder | null = null;

/** Replace the decoder used for WebP (tools/cli registers sharp; tests may register a stub). */
export function setPlatformDecoder(d: PlatformDecoder | null): void {
  platformDecoder = d;
}

export function sniffFormat(b: Uint8Array): ImageFormat | null {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  return null;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...b.subarray(at, at + n));
}

/** Width and height from the header alone, so oversized images are refused before decoding. */
export function probeSize(b: Uint8Array, format: ImageFormat): { width: number; height: number } | null {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  try {
    switch (format) {
      case 'png':
        return { width: v.getUint32(16), height: v.getUint32(20) };
      case 'gif':
        return { width: v.getUint16(6, true), height: v.getUint16(8, true) };
      case 'bmp':
        return { width: Math.abs(v.getInt32(18, true)), height: Math.abs(v.getInt32(22, true)) };
      case 'jpeg': {
        let p = 2;
        while (p + 9 < b.length && b[p] === 0xff) {
          const m = b[p + 1];
          if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
            return { width: v.getUint16(p + 7), height: v.getUint16(p + 5) };
          }
          p += 2 + v.getUint16(p + 2);
        }
        return null;
      }
      case 'webp': {
        const chunk = ascii(b, 12, 4);
        if (chunk === 'VP8X') return { width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)), height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)) };
        if (chunk === 'VP8 ') return { width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
        if (chunk === 'VP8L') {
          const bits = v.getUint32(21, true);
          return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
        }
        return null;
      }
    }
  } catch {
    return null;
  }
}

/**
 * Decodes one file. Every failure — unknown format, truncated or corrupt data, too many pixels —
 * becomes an ImageDecodeError naming `name` and the reason.
 */
export async function decodeImage(bytes: Uint8Array, name: string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const format = sniffFormat(bytes);
  if (!format) {
    throw new ImageDecodeError(name, bytes.length === 0 ? 'empty file' : 'not a supported image (PNG, JPEG, GIF, BMP or WebP expected)');
  }
  const size = probeSize(bytes, format);
  if (size && size.width * size.height > maxPixels) {
    const mp = (n: number) => (n / 1e6).toFixed(1);
    throw new ImageDecodeError(name, `image is ${size.width}×${size.height} = ${mp(size.width * size.height)} MP, above the ${mp(maxPixels)} MP limit`);
  }
  let img: RgbImage;
  let orientation = 1;
  try {
    switch (format) {
      case 'png':
        img = await decodePng(bytes);
        if (opts.applyOrientation !== false) orientation = containerOrientation(bytes, 'png');
        break;
      case 'gif': img = decodeGif(bytes); break;
      case 'bmp': img = decodeBmp(bytes); break;
      case 'jpeg':
        img = decodeJpeg(bytes, maxPixels);
        if (opts.applyOrientation !== false) orientation = jpegOrientation(bytes);
        break;
      case 'webp':
        img = await decodeWithPlatform(bytes, format);
        if (opts.applyOrientation !== false) orientation = containerOrientation(bytes, 'webp');
        break;
    }
  } catch (e) {
    if (e instanceof ImageDecodeError) throw e;
    throw new ImageDecodeError(name, `corrupt or unsupported ${format.toUpperCase()}: ${(e as Error)?.message ?? String(e)}`);
  }
  if (img.width <= 0 || img.height <= 0 || img.data.length !== img.width * img.height * 3) {
    throw new ImageDecodeError(name, `decoder returned an invalid ${img.width}×${img.height} image`);
  }
  const reduceAbove = opts.reduceAbove ?? DEFAULT_REDUCE_ABOVE;
  let factor = 1;
  while ((img.width / factor) * (img.height / factor) > reduceAbove) factor++;
  const storedWidth = img.width;
  const storedHeight = img.height;
  if (factor > 1) img = boxReduce(img, factor);
  const upright = applyOrientation(img, orientation);
  return { ...upright, format, storedWidth, storedHeight, orientation, reducedBy: factor };
}

/** Mean of each factor×factor block (partial blocks at the right and bottom edges included). */
export function boxReduce(img: RgbImage, factor: number): RgbImage {
  const w = Math.ceil(img.width / factor);
  const h = Math.ceil(img.height / factor);
  const out = new Uint8Array(w * h * 3);
  const acc = new Float64Array(w * 3);
  const cnt = new Float64Array(w);
  for (let by = 0; by < h; by++) {
    acc.fill(0);
    cnt.fill(0);
    for (let y = by * factor; y < Math.min((by + 1) * factor, img.height); y++) {
      for (let x = 0; x < img.width; x++) {
        const bx = (x / factor) | 0;
        const s = (y * img.width + x) * 3;
        acc[bx * 3] += img.data[s];
        acc[bx * 3 + 1] += img.data[s + 1];
        acc[bx * 3 + 2] += img.data[s + 2];
        cnt[bx]++;
      }
    }
    for (let bx = 0; bx < w; bx++) for (let c = 0; c < 3; c++) out[(by * w + bx) * 3 + c] = Math.round(acc[bx * 3 + c] / cnt[bx]);
  }
  return { width: w, height: h, data: out };
}

async function decodeWithPlatform(bytes: Uint8Array, format: ImageFormat): Promise<RgbImage> {
  const d = platformDecoder ?? (typeof createImageBitmap === 'function' ? bitmapDecoder : null);
  if (!d) throw new Error(`no ${format.toUpperCase()} decoder in this environment (register one with setPlatformDecoder)`);
  const r = await d(bytes, format);
  const n = r.width * r.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = r.data[i * r.channels];
    out[i * 3 + 1] = r.data[i * r.channels + 1];
    out[i * 3 + 2] = r.data[i * r.channels + 2];
  }
  return { width: r.width, height: r.height, data: out };
}

/** Browser/worker fallback: no premultiplication and no colour conversion, so lossless files stay exact. */
const bitmapDecoder: PlatformDecoder = async (bytes, format) => {
  const blob = new Blob([bytes as BlobPart], { type: `image/${format}` });
  const bmp = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('OffscreenCanvas 2d context unavailable');
  ctx.drawImage(bmp, 0, 0);
  const data = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  bmp.close();
  return { width: canvas.width, height: canvas.height, data, channels: 4 };
};

export interface BatchItem {
  name: string;
  bytes: Uint8Array;
}
export type BatchResult = { name: string; image: DecodedImage } | { name: string; error: ImageDecodeError };

/** Decodes many files; a bad one yields its error and the batch goes on. */
export async function decodeBatch(items: BatchItem[], opts: DecodeOptions = {}): Promise<BatchResult[]> {
  const out: BatchResult[] = [];
  for (const it of items) {
    try {
      out.push({ name: it.name, image: await decodeImage(it.bytes, it.name, opts) });
    } catch (e) {
      out.push({ name: it.name, error: e instanceof ImageDecodeError ? e : new ImageDecodeError(it.name, String(e)) });
    }
  }
  return out;
}
