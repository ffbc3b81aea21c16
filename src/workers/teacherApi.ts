/**
 * What the teacher worker exposes: run the user's ONNX classifier (with its label list or
 * teacher.json) over image files, with per-file errors that never stop the batch. The model is
 * loaded and checked once per (model, labels) pair and kept for the next chunk. The runtime and
 * the decoder are injected so the same code runs in Node tests (onnxruntime-node).
 */
import type { OnnxTeacher } from '../ml/teacher.ts';
import type { RgbImage } from '../ml/preprocess.ts';

export interface TeacherDeps {
  load(model: { name: string; bytes: Uint8Array }, labels: { name: string; text: string }): Promise<OnnxTeacher>;
  decode(bytes: Uint8Array, name: string): Promise<RgbImage>;
}

export interface TeacherRunResult {
  labels: string[];
  /** ok-files × C probabilities, in input order with the failed files left out. */
  probs: Float32Array;
  errors: { id: string; message: string }[];
  description: string;
}

export function createTeacherApi(deps: TeacherDeps) {
  let loaded: { key: string; teacher: Promise<OnnxTeacher> } | null = null;
  return {
    async run(model: { name: string; bytes: Uint8Array }, labels: { name: string; text: string }, files: { id: string; bytes: Uint8Array }[]): Promise<TeacherRunResult> {
      const key = `${model.name}:${model.bytes.length}:${labels.name}:${labels.text}`;
      if (!loaded || loaded.key !== key) {
        const p = deps.load(model, labels);
        loaded = { key, teacher: p };
        p.catch(() => { if (loaded?.key === key) loaded = null; });
      }
      const t = await loaded.teacher;
      const images: RgbImage[] = [];
      const errors: TeacherRunResult['errors'] = [];
      for (const f of files) {
        try {
          images.push(await deps.decode(f.bytes, f.id));
        } catch (e) {
          errors.push({ id: f.id, message: (e as Error).message });
        }
      }
      const probs = images.length ? await t.predict(images) : new Float32Array(0);
      return { labels: [...t.labels], probs, errors, description: `ONNX classifier ${model.name} (${t.C} classes, ${t.inputSize[0]}×${t.inputSize[1]} input)` };
    },
  };
}

export type TeacherApiObject = ReturnType<typeof createTeacherApi>;
