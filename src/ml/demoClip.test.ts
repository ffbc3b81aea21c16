// The bundled demo CLIP (models/demo-clip, produced by tools/demo) through src/ml exactly as the
// studio loads it: local folder, self-check on, our own JPEG decoder and PIL-exact
// preprocessing; its embeddings of committed demo images and prompts must match the reference
// outputs tools/demo wrote (onnxruntime on PIL-preprocessed pixels).
import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadClip, unloadAll } from './clip.ts';
import { decodeImage } from '../data/images/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MODEL_DIR = join(ROOT, 'models/demo-clip');
const REFERENCE = join(ROOT, 'tools/demo/reference.json');

interface Reference {
  images: { file: string; image_embeds: number[] }[];
  texts: { text: string; text_embeds: number[] }[];
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.skipIf(!existsSync(join(MODEL_DIR, 'onnx/vision_model.onnx')))('demo-clip through src/ml', () => {
  afterAll(unloadAll);

  it('loads from the local folder, passes its self-check and embeds demo images and prompts like the reference', async () => {
    const model = await loadClip({ model: 'demo-clip', localModelPath: join(ROOT, 'models/') }); // self-check on (default)
    expect(model.device).toBe('cpu');
    expect(model.dim).toBeGreaterThan(0);
    const ref = existsSync(REFERENCE) ? (JSON.parse(readFileSync(REFERENCE, 'utf8')) as Reference) : null;
    const files = ref?.images.slice(0, 2).map((i) => i.file) ?? ['public/demo/images/distill-0000.jpg', 'public/demo/images/distill-0001.jpg'];
    const images = await Promise.all(files.map((f) => decodeImage(new Uint8Array(readFileSync(join(ROOT, f))), f)));
    const emb = await model.embedImages(images);
    expect(emb.length).toBe(files.length * model.dim);
    for (let i = 0; i < files.length; i++) {
      const row = emb.subarray(i * model.dim, (i + 1) * model.dim);
      expect(row.every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...row)).toBeCloseTo(1, 4);
    }
    // Two different demo images must not embed identically.
    expect(maxAbsDiff(emb.subarray(0, model.dim), emb.subarray(model.dim, 2 * model.dim))).toBeGreaterThan(1e-3);
    if (!ref) return;
    // Same decoder arithmetic as libjpeg and PIL-exact resizing: only float rounding differs.
    ref.images.slice(0, 2).forEach((r, i) => expect(maxAbsDiff(emb.subarray(i * model.dim, (i + 1) * model.dim), r.image_embeds)).toBeLessThan(1e-4));
    const texts = await model.embedTexts(ref.texts.map((t) => t.text), ['{}']);
    ref.texts.forEach((t, i) => expect(maxAbsDiff(texts.subarray(i * model.dim, (i + 1) * model.dim), t.text_embeds)).toBeLessThan(1e-4));
  });
});
