/**
 * Photo-like JPEG files for the embed benchmark (generated at bench time into a temp folder,
 * never committed): smooth lighting gradients, a few soft-edged shapes and sensor-like noise, so
 * the files have the entropy (and therefore the decode cost) of real photos at quality 85,
 * rather than the flat colour a synthetic test image would compress to.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';

function photo(w: number, h: number, seed: number): Uint8Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const base = [rnd() * 255, rnd() * 255, rnd() * 255];
  const grad = [rnd() - 0.5, rnd() - 0.5, rnd() - 0.5];
  const shapes = Array.from({ length: 6 }, () => ({ x: rnd() * w, y: rnd() * h, r: (0.05 + rnd() * 0.25) * Math.min(w, h), c: [rnd() * 255, rnd() * 255, rnd() * 255], f: 4 + rnd() * 20 }));
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      const t = (x / w + y / h) / 2;
      let px = [base[0] + grad[0] * 200 * t, base[1] + grad[1] * 200 * t, base[2] + grad[2] * 200 * t];
      for (const sh of shapes) {
        const d = Math.hypot(x - sh.x, y - sh.y);
        if (d < sh.r) {
          const stripes = 0.85 + 0.15 * Math.sin((x + y) / sh.f);
          const a = Math.min(1, (sh.r - d) / 6);
          px = px.map((v, c) => v * (1 - a) + sh.c[c] * stripes * a);
        }
      }
      const n = (rnd() - 0.5) * 24;
      rgba[o] = px[0] + n;
      rgba[o + 1] = px[1] + n;
      rgba[o + 2] = px[2] + n;
      rgba[o + 3] = 255;
    }
  }
  return new Uint8Array(jpeg.encode({ width: w, height: h, data: new Uint8Array(rgba.buffer) }, 85).data);
}

/** Writes (once) `count` photo-like JPEGs of w×h into `dir`; returns their paths. */
export function writeBenchPhotos(dir: string, count: number, w: number, h: number): string[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const f = join(dir, `photo-${String(i).padStart(3, '0')}.jpg`);
    if (!existsSync(f)) writeFileSync(f, photo(w, h, i + 1));
    return f;
  });
}
