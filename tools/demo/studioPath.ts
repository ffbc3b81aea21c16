/**
 * The studio's own Node code path for the demo, shared by `npm run demo:prepare` and
 * `npm run demo:evaluate`: src/data/images decodes → src/ml/clip (models/demo-clip, our
 * PIL-exact preprocessing, regions = 1) embeds → src/core/concepts scores → src/ml/teacher
 * (models/demo-teacher) predicts. Nothing here re-implements a step the studio has.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { decodeImage } from '../../src/data/images/index.ts';
import { loadClip, type ClipModel } from '../../src/ml/clip.ts';
import { loadOnnxTeacherNode } from '../../src/ml/teacherNode.ts';
import type { OnnxTeacher } from '../../src/ml/teacher.ts';
import type { RgbImage } from '../../src/ml/preprocess.ts';
import { conceptActivations } from '../../src/core/concepts/activations.ts';
import type { Mat } from '../../src/core/types.ts';

export const ROOT = join(import.meta.dirname, '../..');
export const MODELS = join(ROOT, 'models');
export const DEMO_MODEL = 'demo-clip';
export const DEMO_TEACHER_DIR = join(MODELS, 'demo-teacher');
export const TEMPLATE = 'a photo of {concept}';
export const CLASS_TEMPLATE = 'a photo of a {concept}';
/** Images decoded and embedded per step (bounds memory on large evaluation sets). */
const CHUNK = 256;

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function sha256Bytes(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** `concept<TAB>category` lines, blank lines skipped, in file order. */
export function readCorpus(path: string): { name: string; category: string | null }[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((l) => {
      const [name, cat] = l.split('\t');
      return { name: name.trim(), category: cat?.trim() || null };
    });
}

export interface DemoModels {
  clip: ClipModel;
  teacher: OnnxTeacher;
}

/**
 * `modelsDir` (default `models/`) holds `demo-clip/` and `demo-teacher/`: another folder lets
 * `demo:evaluate --models DIR` measure a rebuilt demo (`build.py --models DIR`) before it ships.
 */
export async function loadDemoModels(modelsDir: string = MODELS): Promise<DemoModels> {
  // The generic self-check prompts ("a photo of a dog" / "… car") are outside the demo CLIP's
  // 128-word vocabulary: both become [UNK] and embed identically, so that check always fails on
  // this model. Run the same checks (checkEmbeddings) on prompts in its vocabulary instead.
  const clip = await loadClip({ model: DEMO_MODEL, localModelPath: modelsDir.replace(/\/?$/, '/'), device: 'cpu', dtype: 'fp32', selfCheck: false });
  const text = await clip.embedTexts(['a photo of a rusty gear', 'a photo of a brass washer'], ['{}']);
  const cos = text.subarray(0, clip.dim).reduce((s, v, i) => s + v * text[clip.dim + i], 0);
  if (!(Math.abs(Math.hypot(...text.subarray(0, clip.dim)) - 1) < 1e-3) || !(cos > -0.5 && cos < 0.9999)) {
    throw new Error(`the demo CLIP failed its sanity check (cosine of two different prompts ${cos})`);
  }
  const teacher = await loadOnnxTeacherNode(
    new Uint8Array(readFileSync(join(modelsDir, 'demo-teacher', 'teacher.onnx'))),
    readFileSync(join(modelsDir, 'demo-teacher', 'teacher.json'), 'utf8'),
  );
  return { clip, teacher };
}

export interface ImageArrays {
  /** N×1×D image embeddings (regions = 1: the full image). */
  embeddings: Float32Array;
  /** N×C teacher probabilities. */
  teacher: Float32Array;
}

/** Decode image files with src/data/images and run both models, CHUNK images at a time. */
export async function embedAndPredict(models: DemoModels, paths: string[], onProgress?: (done: number, total: number) => void): Promise<ImageArrays> {
  const D = models.clip.dim;
  const C = models.teacher.C;
  const embeddings = new Float32Array(paths.length * D);
  const teacher = new Float32Array(paths.length * C);
  for (let i = 0; i < paths.length; i += CHUNK) {
    const part = paths.slice(i, i + CHUNK);
    const images: RgbImage[] = await Promise.all(part.map((p) => decodeImage(new Uint8Array(readFileSync(p)), p)));
    embeddings.set(await models.clip.embedImages(images, { grid: 1 }), i * D);
    teacher.set(await models.teacher.predict(images), i * C);
    onProgress?.(i + part.length, paths.length);
  }
  return { embeddings, teacher };
}

/** Text embeddings (M×D) of names through a template. */
export async function embedTexts(clip: ClipModel, names: string[], template: string): Promise<Mat> {
  return { rows: names.length, cols: clip.dim, data: await clip.embedTexts(names, [template]) };
}

/** Raw activations a_ij = max(0, cos) with regions = 1 (src/core/concepts). */
export function activations(embeddings: Float32Array, N: number, concepts: Mat): Mat {
  return conceptActivations({ N, R: 1, D: concepts.cols, data: embeddings }, concepts);
}
