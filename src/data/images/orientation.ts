import type { RgbImage } from './types.ts';

/**
 * EXIF orientation (tag 0x0112) of a JPEG, read from its APP1 "Exif" segment; 1 when absent or
 * unreadable (a broken EXIF block must not make an otherwise fine photo fail).
 */
export function jpegOrientation(bytes: Uint8Array): number {
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1];
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end: no more metadata
    const len = (bytes[p + 2] << 8) | bytes[p + 3];
    if (marker === 0xe1 && len >= 16 && String.fromCharCode(...bytes.subarray(p + 4, p + 8)) === 'Exif') {
      const o = tiffOrientation(bytes.subarray(p + 10, p + 2 + len));
      if (o) return o;
    }
    p += 2 + len;
  }
  return 1;
}

/** EXIF orientation of a PNG (eXIf chunk) or WebP (EXIF chunk), as PIL reads them; 1 when absent. */
export function containerOrientation(bytes: Uint8Array, format: 'png' | 'webp'): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const name = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (format === 'png') {
    for (let p = 8; p + 12 <= bytes.length; ) {
      const len = v.getUint32(p);
      const type = name(p + 4);
      if (type === 'eXIf') return tiffOrientation(bytes.subarray(p + 8, p + 8 + len)) || 1;
      if (type === 'IDAT' || type === 'IEND') break; // eXIf must precede the image data
      p += 12 + len;
    }
    return 1;
  }
  for (let p = 12; p + 8 <= bytes.length; ) {
    const len = v.getUint32(p + 4, true);
    if (name(p) === 'EXIF') {
      let t = bytes.subarray(p + 8, p + 8 + len);
      if (name(p + 8) === 'Exif') t = t.subarray(6); // some writers keep the JPEG-style prefix
      return tiffOrientation(t) || 1;
    }
    p += 8 + len + (len & 1);
  }
  return 1;
}

function tiffOrientation(t: Uint8Array): number {
  if (t.length < 8) return 0;
  const le = t[0] === 0x49 && t[1] === 0x49;
  if (!le && !(t[0] === 0x4d && t[1] === 0x4d)) return 0;
  const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const ifd = v.getUint32(4, le);
  if (ifd + 2 > t.length) return 0;
  const count = v.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > t.length) return 0;
    if (v.getUint16(e, le) === 0x0112) {
      const value = v.getUint16(e + 8, le);
      return value >= 1 && value <= 8 ? value : 0;
    }
  }
  return 0;
}

/** Applies an EXIF orientation so the result is upright, as PIL's ImageOps.exif_transpose. */
export function applyOrientation(img: RgbImage, orientation: number): RgbImage {
  if (orientation <= 1 || orientation > 8) return img;
  const { width: W, height: H, data } = img;
  const swap = orientation >= 5;
  const w = swap ? H : W;
  const h = swap ? W : H;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sx: number, sy: number;
      switch (orientation) {
        case 2: sx = W - 1 - x; sy = y; break; // mirror left-right
        case 3: sx = W - 1 - x; sy = H - 1 - y; break; // 180°
        case 4: sx = x; sy = H - 1 - y; break; // mirror top-bottom
        case 5: sx = y; sy = x; break; // transpose
        case 6: sx = y; sy = H - 1 - x; break; // stored rotated: turn 90° clockwise
        case 7: sx = W - 1 - y; sy = H - 1 - x; break; // transverse
        default: sx = W - 1 - y; sy = x; break; // 8: turn 90° counter-clockwise
      }
      const s = (sy * W + sx) * 3;
      const d = (y * w + x) * 3;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
    }
  }
  return { width: w, height: h, data: out };
}
