/**
 * The shift simulator's image corruptions (METHODS §8: darken, fog, contrast, noise, JPEG at 5
 * severities), pure and DOM-free so the same pixels come out in Node, in the embed worker and in
 * tests. Each is deterministic given (image, kind, severity, seed): the seeded parts (noise, the
 * haze's uneven density) draw from core's mulberry32.
 *
 * Severity parameters (our choice, after the spirit of ImageNet-C; 1 = mild, 5 = severe):
 * - darken:   every channel × f, f = 0.75, 0.6, 0.45, 0.32, 0.2 (an under-exposed camera);
 * - haze:     blend toward airlight 215 by t·(0.9…1.1 smooth seeded field), t = 0.2 … 0.75;
 * - contrast: (v − mean) × c + mean, c = 0.7, 0.5, 0.35, 0.25, 0.15 (mean over the image);
 * - noise:    additive Gaussian, σ = 8, 16, 26, 38, 52 grey levels, per channel;
 * - jpeg:     re-encode at quality 30, 18, 12, 8, 5 (jpeg-js) and decode again.
 */
import jpeg from 'jpeg-js';
import { mulberry32, randNormal } from '../../core/math/rng.ts';
import type { RgbImage } from './types.ts';

export const CORRUPTIONS = ['darken', 'haze', 'contrast', 'noise', 'jpeg'] as const;
export type Corruption = (typeof CORRUPTIONS)[number];
export const SEVERITIES = [1, 2, 3, 4, 5] as const;

/** Plain-words names for the UI and the tables. */
export const CORRUPTION_LABEL: Record<Corruption, string> = {
  darken: 'darker',
  haze: 'haze (fog)',
  contrast: 'low contrast',
  noise: 'sensor noise',
  jpeg: 'JPEG compression',
};

const DARKEN = [0.75, 0.6, 0.45, 0.32, 0.2];
const HAZE = [0.2, 0.33, 0.46, 0.6, 0.75];
const AIRLIGHT = 215;
const CONTRAST = [0.7, 0.5, 0.35, 0.25, 0.15];
const NOISE = [8, 16, 26, 38, 52];
const QUALITY = [30, 18, 12, 8, 5];

/** One corruption to apply: kind, severity 1–5 and the seed of its random parts. */
export interface CorruptionSpec {
  kind: Corruption;
  severity: number;
  seed?: number;
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** The image with one corruption applied (a new image; the input is left alone). */
export function corrupt(img: RgbImage, spec: CorruptionSpec): RgbImage {
  const { kind, severity } = spec;
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) throw new Error(`corruption severity must be 1 to 5, got ${severity}`);
  if (!(CORRUPTIONS as readonly string[]).includes(kind)) throw new Error(`unknown corruption "${String(kind)}" (known: ${CORRUPTIONS.join(', ')})`);
  const { width: w, height: h, data } = img;
  if (data.length !== w * h * 3) throw new Error(`image data has ${data.length} bytes, expected ${w}×${h}×3`);
  const s = severity - 1;
  const seed = (spec.seed ?? 0) * 31 + severity * 7 + CORRUPTIONS.indexOf(kind);
  const out = new Uint8Array(data.length);
  switch (kind) {
    case 'darken': {
      const f = DARKEN[s];
      for (let k = 0; k < data.length; k++) out[k] = clamp(data[k] * f);
      break;
    }
    case 'contrast': {
      let mean = 0;
      for (let k = 0; k < data.length; k++) mean += data[k];
      mean /= data.length || 1;
      const c = CONTRAST[s];
      for (let k = 0; k < data.length; k++) out[k] = clamp((data[k] - mean) * c + mean);
      break;
    }
    case 'noise': {
      const rng = mulberry32(seed);
      const sd = NOISE[s];
      for (let k = 0; k < data.length; k++) out[k] = clamp(data[k] + sd * randNormal(rng));
      break;
    }
    case 'haze': {
      // Uneven density: a smooth field from three seeded low-frequency waves, in [0.9, 1.1].
      const rng = mulberry32(seed);
      const waves = Array.from({ length: 3 }, () => ({ fx: 0.5 + 1.5 * rng(), fy: 0.5 + 1.5 * rng(), ph: 2 * Math.PI * rng() }));
      const t0 = HAZE[s];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let f = 0;
          for (const v of waves) f += Math.sin((2 * Math.PI * (v.fx * x)) / Math.max(1, w) + (2 * Math.PI * (v.fy * y)) / Math.max(1, h) + v.ph);
          const t = Math.min(1, t0 * (1 + (0.1 * f) / 3));
          const p = (y * w + x) * 3;
          for (let c = 0; c < 3; c++) out[p + c] = clamp(data[p + c] * (1 - t) + AIRLIGHT * t);
        }
      }
      break;
    }
    case 'jpeg': {
      const rgba = new Uint8Array(w * h * 4);
      for (let i = 0; i < w * h; i++) {
        rgba[i * 4] = data[i * 3];
        rgba[i * 4 + 1] = data[i * 3 + 1];
        rgba[i * 4 + 2] = data[i * 3 + 2];
        rgba[i * 4 + 3] = 255;
      }
      const enc = jpeg.encode({ width: w, height: h, data: rgba }, QUALITY[s]).data;
      const dec = jpeg.decode(new Uint8Array(enc), { useTArray: true, formatAsRGBA: false });
      if (dec.width !== w || dec.height !== h || dec.data.length !== w * h * 3) throw new Error('JPEG round trip changed the image size');
      out.set(dec.data);
      break;
    }
  }
  return { width: w, height: h, data: out };
}
