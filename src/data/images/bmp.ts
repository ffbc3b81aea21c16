import type { RgbImage } from './types.ts';

/**
 * Uncompressed BMP (BI_RGB, BI_BITFIELDS) at 1/4/8 bits with a palette and 16/24/32 bits
 * direct colour; bottom-up and top-down. RLE-compressed BMPs are refused with a clear reason.
 */
export function decodeBmp(bytes: Uint8Array): RgbImage {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 26) throw new Error('truncated BMP header');
  const dataOffset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  if (headerSize < 40) throw new Error(`unsupported BMP header (${headerSize} bytes; OS/2 bitmaps are not supported)`);
  const width = v.getInt32(18, true);
  const rawHeight = v.getInt32(22, true);
  const bpp = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw new Error(`invalid BMP size ${width}×${rawHeight}`);
  if (compression !== 0 && compression !== 3) throw new Error(`unsupported BMP compression ${compression} (RLE/JPEG/PNG-in-BMP)`);
  let masks = [0x00ff0000, 0x0000ff00, 0x000000ff];
  if (bpp === 16) masks = [0x7c00, 0x03e0, 0x001f];
  if (compression === 3) {
    // The masks follow a 40-byte header; V4/V5 headers carry them in the same place.
    masks = [v.getUint32(54, true), v.getUint32(58, true), v.getUint32(62, true)];
  }
  const palette: number[][] = [];
  if (bpp <= 8) {
    const colours = v.getUint32(46, true) || 1 << bpp;
    const start = 14 + headerSize;
    for (let i = 0; i < colours && start + i * 4 + 2 < bytes.length; i++) {
      const o = start + i * 4;
      palette.push([bytes[o + 2], bytes[o + 1], bytes[o]]);
    }
  } else if (bpp !== 16 && bpp !== 24 && bpp !== 32) {
    throw new Error(`unsupported BMP bit depth ${bpp}`);
  }
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + rowBytes * height > bytes.length) throw new Error('truncated BMP pixel data');
  const out = new Uint8Array(width * height * 3);
  const chan = masks.map((m) => ({ m, shift: m ? 31 - Math.clz32(m & -m) : 0, max: m ? m / (m & -m) : 1 }));
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * rowBytes;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (bpp <= 8) {
        const bit = x * bpp;
        const idx = (bytes[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        const c = palette[idx] ?? [0, 0, 0];
        out[o] = c[0];
        out[o + 1] = c[1];
        out[o + 2] = c[2];
      } else if (bpp === 24 || (bpp === 32 && compression === 0)) {
        const p = row + x * (bpp >> 3);
        out[o] = bytes[p + 2];
        out[o + 1] = bytes[p + 1];
        out[o + 2] = bytes[p];
      } else {
        const px = bpp === 16 ? v.getUint16(row + x * 2, true) : v.getUint32(row + x * 4, true);
        for (let c = 0; c < 3; c++) {
          const { m, shift, max } = chan[c];
          out[o + c] = m ? Math.round((((px & m) >>> 0) / 2 ** shift) * (255 / max)) : 0;
        }
      }
    }
  }
  return { width, height, data: out };
}
