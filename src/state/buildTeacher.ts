/**
 * The teacher step of building a project (METHODS.md §3): probabilities over the final class
 * list from ground-truth labels (one-hot; unlabelled images are left out), CLIP zero-shot
 * (softmax of 100 × cosine between the full image and "a photo of a {class}"), a predictions
 * file, or probabilities computed already (the ONNX teacher's). Labels from folders or a CSV are
 * mapped onto the teacher's classes by name.
 */
import type { Mat } from '../core/types.ts';
import { normaliseRows } from '../core/concepts/activations.ts';
import { softmax } from '../core/math/linalg.ts';
import { matchPredictions, parsePredictions } from './teacherPredictions.ts';
import type { BuildEmbedder, EmbeddingsInput } from './buildProject.ts';

export const CLASS_TEMPLATE = 'a photo of a {concept}';
/** CLIP's logit scale for zero-shot (METHODS.md §3: softmax of cosines × 100). */
const ZERO_SHOT_SCALE = 100;

const fold = (s: string) => s.trim().toLowerCase();

/** Teacher probabilities over the final class list, plus the rows that can be used. */
export async function teacherProbabilities(input: EmbeddingsInput, model: () => BuildEmbedder): Promise<{ classes: string[]; probs: Mat; labels: Int32Array | null; keep: number[] | null; description: string; notes: string[]; classText: Mat | null }> {
  const { teacher, embeddings: E } = input;
  const N = E.N;
  const notes: string[] = [];
  const remap = (classes: string[]): Int32Array | null => {
    if (!input.labels) return null;
    const at = new Map(classes.map((c, k) => [fold(c), k]));
    const missing = new Set<string>();
    const out = input.labels.map((l) => {
      if (l < 0) return -1;
      const k = at.get(fold(input.classes[l]));
      if (k === undefined) missing.add(input.classes[l]);
      return k ?? -1;
    });
    if (missing.size) notes.push(`Folder/CSV class ${[...missing].map((m) => `"${m}"`).join(', ')} is not one of the teacher's classes: those images have no ground truth.`);
    return out;
  };
  switch (teacher.kind) {
    case 'labels': {
      if (!input.labels || input.classes.length < 2) throw new Error('The "labels" teacher needs at least 2 classes: put each class in its own sub-folder, or add a labels CSV.');
      const keep: number[] = [];
      input.labels.forEach((l, i) => { if (l >= 0) keep.push(i); });
      if (keep.length < N) notes.push(`${N - keep.length} image(s) without a class were left out (the labels teacher needs a class for every image).`);
      const C = input.classes.length;
      const probs = new Float32Array(N * C);
      for (const i of keep) probs[i * C + input.labels[i]] = 1;
      return { classes: input.classes, probs: { rows: N, cols: C, data: probs }, labels: input.labels, keep: keep.length < N ? keep : null, description: 'Ground-truth labels (one-hot)', notes, classText: null };
    }
    case 'zero-shot': {
      if (input.classes.length < 2) throw new Error('CLIP zero-shot needs at least 2 class names: put each class in its own sub-folder, or add a labels CSV.');
      const m = model();
      const C = input.classes.length;
      const t = await m.embedTexts(input.classes, [CLASS_TEMPLATE], input.signal);
      if (t.length !== C * E.D) throw new Error(`the model gave ${t.length / C}-dimensional class embeddings but the images have ${E.D}`);
      const classText = normaliseRows({ rows: C, cols: E.D, data: t });
      // Full image (region 0) against each class prompt.
      const full = normaliseRows({ rows: N, cols: E.D, data: takeFull(E) });
      const probs = new Float32Array(N * C);
      const z = new Float64Array(C);
      for (let i = 0; i < N; i++) {
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let d = 0; d < E.D; d++) s += full.data[i * E.D + d] * classText.data[c * E.D + d];
          z[c] = ZERO_SHOT_SCALE * s;
        }
        probs.set(softmax(z), i * C);
      }
      return { classes: input.classes, probs: { rows: N, cols: C, data: probs }, labels: input.labels, keep: null, description: `CLIP zero-shot over "${CLASS_TEMPLATE.replace('{concept}', '{class}')}"`, notes, classText };
    }
    case 'file': {
      const parsed = parsePredictions(teacher.fileName, teacher.text);
      const m = matchPredictions(teacher.fileName, parsed, input.ids, input.classes.length ? input.classes : null);
      if (m.unused) notes.push(`${teacher.fileName}: ${m.unused} prediction(s) name no image in this project and were not used.`);
      return { classes: m.classes, probs: { rows: N, cols: m.classes.length, data: m.probs }, labels: remap(m.classes), keep: null, description: `Predictions file ${teacher.fileName}`, notes, classText: null };
    }
    case 'probabilities': {
      const { probs, classes } = teacher;
      if (probs.rows !== N || probs.cols !== classes.length || probs.data.length !== N * classes.length) {
        throw new Error(`teacher probabilities are ${probs.rows}×${probs.cols}, expected ${N} images × ${classes.length} classes`);
      }
      return { classes, probs, labels: remap(classes), keep: null, description: teacher.description, notes, classText: null };
    }
    case 'onnx':
      throw new Error('an ONNX teacher needs the images: build with buildProjectFromImages, or run it first and pass its probabilities');
  }
}

/** Row 0 (the full image) of every image's regions, N×D. */
function takeFull(E: EmbeddingsInput['embeddings']): Float32Array {
  if (E.R === 1) return E.data;
  const out = new Float32Array(E.N * E.D);
  for (let i = 0; i < E.N; i++) out.set(E.data.subarray(i * E.R * E.D, i * E.R * E.D + E.D), i * E.D);
  return out;
}

