import { decode as decodePngRaw } from 'fast-png';
import type { RgbImage } from './types.ts';

/**
 * PNG → RGB with PIL's convert('RGB') semantics: palette indices look up their colour, gray is
 * replicated, alpha and tRNS transparency are dropped. Sub-byte gray is scaled to 8 bits as PIL's
 * unpackers do (1-bit: ×255, 2-bit: ×85, 4-bit: ×17). 16-bit samples keep their high byte, as
 * PIL does for RGB/RGBA/LA; for 16-bit gray PIL 9.4 would clip at 255 (a white image) — we keep
 * the high byte there too, deliberately (tests/fixtures/images/ref/index.json records it).
 */
export function decodePng(bytes: Uint8Array): RgbImage {
  const png = decodePngRaw(bytes, { checkCrc: true });
  const { width, height, depth, channels } = png;
  const out = new Uint8Array(width * height * 3);
  if (png.palette) {
    const pal = png.palette;
    const idx = unpack(png.data as Uint8Array, width, height, depth, false);
    for (let i = 0; i < width * height; i++) {
      const c = pal[idx[i]] ?? [0, 0, 0];
      out[i * 3] = c[0];
      out[i * 3 + 1] = c[1];
      out[i * 3 + 2] = c[2];
    }
    return { width, height, data: out };
  }
  let samples: Uint8Array;
  if (depth === 16) {
    const d = png.data as Uint16Array;
    samples = new Uint8Array(d.length);
    for (let i = 0; i < d.length; i++) samples[i] = d[i] >>> 8;
  } else if (depth < 8) {
    samples = unpack(png.data as Uint8Array, width, height, depth, true);
  } else {
    samples = png.data as Uint8Array;
  }
  const n = width * height;
  if (channels === 1 || channels === 2) {
    for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = samples[i * channels];
  } else if (channels === 3 || channels === 4) {
    for (let i = 0; i < n; i++) {
      out[i * 3] = samples[i * channels];
      out[i * 3 + 1] = samples[i * channels + 1];
      out[i * 3 + 2] = samples[i * channels + 2];
    }
  } else {
    throw new Error(`unsupported PNG channel count ${channels}`);
  }
  return { width, height, data: out };
}

/** Unpacks rows of 1/2/4-bit samples (each row starts on a byte); `scale` maps gray to 0–255. */
function unpack(data: Uint8Array, width: number, height: number, depth: number, scale: boolean): Uint8Array {
  if (depth === 8) return data;
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  const mul = scale ? 255 / mask : 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      const v = (byte >> (8 - depth - (bit & 7))) & mask;
      out[y * width + x] = v * mul;
    }
  }
  return out;
}
