/**
 * "Bring your own ONNX classifier" teacher (METHODS.md §3, source 1): an ONNX image classifier
 * plus a description file (teacher.json) with its label list, its preprocessing and whether it
 * outputs logits or probabilities. This file holds everything that does not depend on a runtime:
 * the teacher.json schema, the checks made at load time, and the batch loop. The runtime comes
 * from teacherNode.ts (onnxruntime-node: CLI, tools, tests) or teacherWeb.ts (onnxruntime-web in
 * a worker, wasm served from our origin); import the one for your environment.
 *
 * Images go through the SAME preprocessing code as CLIP (preprocess.ts: PIL-exact resize, centre
 * crop, rescale, normalise), configured from the teacher's own size, mean and std.
 *
 * teacher.json (version-free; unknown keys are kept and ignored, so a richer file still loads):
 *
 *   {
 *     "name": "demo-teacher",                 // shown to the user
 *     "description": "...",                   // optional
 *     "file": "teacher.onnx",                 // optional: the ONNX file next to this JSON
 *     "labels": ["ok", "scratched", ...],     // C class names, in output order (unique)
 *     "output": { "kind": "logits" },         // or "probabilities"; "name" optional (default: the only output)
 *     "input":  { "name": "pixel_values" },   // optional; default: the model's only input
 *     "preprocessing": {                      // Hugging Face preprocessor_config.json keys
 *       "size": {"shortest_edge": 64} | 64 | {"height": h, "width": w},
 *       "crop_size": {"height": 64, "width": 64} | 64,     // default: size
 *       "do_resize", "do_center_crop", "do_rescale", "do_normalize": booleans (default true),
 *       "resample": 2 | 3,                    // PIL bilinear / bicubic (default 3)
 *       "rescale_factor": 1/255,
 *       "image_mean": [r, g, b], "image_std": [r, g, b]     // default: CLIP's
 *     }
 *   }
 *
 * models/demo-teacher/teacher.json is a valid example.
 */
import { z } from 'zod';
import { inputSize, preprocessBatch, preprocessConfigFromJson, type PreprocessConfig, type RgbImage } from './preprocess.ts';

// ------------------------------------------------------------------------------------ schema

const triple = z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]);
const positiveInt = z.number().int().positive();
const sizeSchema = z.union([
  positiveInt,
  z.object({ shortest_edge: positiveInt }).loose(),
  z.object({ height: positiveInt, width: positiveInt }).loose(),
]);

export const teacherPreprocessingSchema = z
  .object({
    size: sizeSchema,
    crop_size: z.union([positiveInt, z.object({ height: positiveInt, width: positiveInt }).loose()]).optional(),
    do_resize: z.boolean().optional(),
    do_center_crop: z.boolean().optional(),
    do_rescale: z.boolean().optional(),
    rescale_factor: z.number().positive().optional(),
    do_normalize: z.boolean().optional(),
    resample: z.union([z.literal(2), z.literal(3)]).optional(),
    image_mean: triple.optional(),
    image_std: triple.refine((s) => s.every((v) => v > 0), 'every std must be > 0').optional(),
  })
  .loose();

export const teacherDescriptionSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    file: z.string().min(1).optional(),
    labels: z
      .array(z.string().trim().min(1, 'a label is empty'))
      .min(2, 'a teacher needs at least 2 labels')
      .superRefine((labels, ctx) => {
        const seen = new Map<string, number>();
        labels.forEach((l, i) => {
          const k = l.trim().toLowerCase();
          if (seen.has(k)) ctx.addIssue({ code: 'custom', message: `label "${l}" appears twice (positions ${seen.get(k)} and ${i})` });
          else seen.set(k, i);
        });
      }),
    input: z.object({ name: z.string().min(1).optional() }).loose().optional(),
    output: z.object({ name: z.string().min(1).optional(), kind: z.enum(['logits', 'probabilities']) }).loose(),
    preprocessing: teacherPreprocessingSchema,
  })
  .loose();

export type TeacherDescription = z.infer<typeof teacherDescriptionSchema>;

export class TeacherLoadError extends Error {
  override name = 'TeacherLoadError';
}

/**
 * JSON.parse that also accepts the bare NaN / Infinity / -Infinity tokens Python's json.dump
 * writes (models/demo-teacher/teacher.json has one in its metrics); they become null. Tokens
 * inside strings are left alone.
 */
export function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const fixed = text.replace(/"(?:[^"\\]|\\.)*"|-?\b(?:NaN|Infinity)\b/g, (m) => (m.startsWith('"') ? m : 'null'));
    if (fixed === text) throw first;
    try {
      return JSON.parse(fixed);
    } catch {
      throw first;
    }
  }
}

/** Parses and validates a teacher.json (text or parsed object); one message listing every problem. */
export function parseTeacherDescription(json: unknown): TeacherDescription {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = parseJsonLenient(json);
    } catch (e) {
      throw new TeacherLoadError(`teacher.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  const r = teacherDescriptionSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new TeacherLoadError(`teacher.json is invalid: ${issues.join('; ')}`);
  }
  return r.data;
}

/** The preprocessing a teacher description asks for, in preprocess.ts's terms. */
export function teacherPreprocessConfig(d: TeacherDescription): PreprocessConfig {
  return preprocessConfigFromJson(d.preprocessing as Record<string, unknown>);
}

// ------------------------------------------------------------------------------- runtime glue

/** The part of an onnxruntime module (node or web) the teacher uses. */
export interface TeacherOrt {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<TeacherSession> };
}

export type ValueMeta = { name: string; isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> };

export interface TeacherSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly ValueMeta[];
  readonly outputMetadata?: readonly ValueMeta[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown; dims: readonly number[]; type?: string }>>;
  release(): Promise<void>;
}

export interface OnnxTeacher {
  readonly name: string;
  readonly description: TeacherDescription;
  readonly labels: readonly string[];
  /** Number of classes C. */
  readonly C: number;
  readonly preprocess: PreprocessConfig;
  /** [H, W] the model is fed. */
  readonly inputSize: [number, number];
  readonly outputKind: 'logits' | 'probabilities';
  /** N × C probabilities (rows sum to 1), image-major. */
  predict(images: RgbImage[], opts?: { onProgress?: (done: number, total: number) => void }): Promise<Float32Array>;
  /** Same, on ready pixel_values [B, 3, H, W]. */
  predictPixels(pixels: Float32Array, B: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface TeacherLoadOptions {
  /** Images per model call (default 32). A model with a fixed batch size uses that instead. */
  batch?: number;
  /** Passed to InferenceSession.create. */
  sessionOptions?: Record<string, unknown>;
}

const fmtShape = (s: ReadonlyArray<number | string> | undefined) => (s && s.length ? `[${s.map((d) => (typeof d === 'number' ? d : `"${d}"`)).join(', ')}]` : '[] (unknown)');

/** Tolerance on the row sums of a model that says it outputs probabilities. */
const PROB_SUM_TOLERANCE = 1e-3;

/**
 * Creates the session, checks the model against its description, and returns the teacher.
 * Checks (each failure is a TeacherLoadError with a specific message):
 *  - exactly one input, a float32 tensor of shape [batch, 3, H, W] (H, W fixed or symbolic; when
 *    fixed they must equal the preprocessing's output size);
 *  - exactly one output (or the named one), whose size equals the number of labels — read from
 *    the model's metadata, and confirmed by running one blank image;
 *  - a "probabilities" model's rows sum to 1 on that blank image.
 */
export async function createOnnxTeacher(ort: TeacherOrt, modelBytes: Uint8Array, descriptionJson: unknown, opts: TeacherLoadOptions = {}): Promise<OnnxTeacher> {
  const description = parseTeacherDescription(descriptionJson);
  const labels = description.labels.map((l) => l.trim());
  const C = labels.length;
  const preprocess = teacherPreprocessConfig(description);
  const [H, W] = inputSize(preprocess);
  let session: TeacherSession;
  try {
    session = await ort.InferenceSession.create(modelBytes, { graphOptimizationLevel: 'all', ...opts.sessionOptions });
  } catch (e) {
    throw new TeacherLoadError(`onnxruntime cannot load the teacher model: ${(e as Error)?.message ?? e}`);
  }
  try {
    // --- input
    if (session.inputNames.length !== 1) {
      throw new TeacherLoadError(`the model has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); a teacher needs exactly one image input of shape [batch, 3, H, W]`);
    }
    const inputName = session.inputNames[0];
    if (description.input?.name && description.input.name !== inputName) {
      throw new TeacherLoadError(`teacher.json names the input "${description.input.name}" but the model's input is "${inputName}"`);
    }
    const inMeta = session.inputMetadata?.find((m) => m.name === inputName);
    let fixedBatch: number | null = null;
    if (inMeta) {
      if (!inMeta.isTensor) throw new TeacherLoadError(`the model's input "${inputName}" is not a tensor`);
      if (inMeta.type && inMeta.type !== 'float32') {
        throw new TeacherLoadError(`the model's input "${inputName}" is ${inMeta.type}; a teacher needs a float32 image input of shape [batch, 3, H, W]`);
      }
      const s = inMeta.shape ?? [];
      const bad = (why: string) =>
        new TeacherLoadError(`the model's input "${inputName}" has shape ${fmtShape(s)}; a teacher needs [batch, 3, H, W] (${why})`);
      if (s.length !== 4) throw bad(`rank ${s.length}, not 4`);
      if (s[1] !== 3 && typeof s[1] === 'number') throw bad(`${s[1]} channels, not 3`);
      if (typeof s[2] === 'number' && typeof s[3] === 'number' && (s[2] !== H || s[3] !== W)) {
        throw bad(`the preprocessing in teacher.json produces ${H}×${W} images but the model takes ${s[2]}×${s[3]}; fix "preprocessing" (size / crop_size)`);
      }
      if (typeof s[0] === 'number' && s[0] > 0) fixedBatch = s[0];
    }
    // --- output
    let outputName: string;
    if (description.output.name) {
      if (!session.outputNames.includes(description.output.name)) {
        throw new TeacherLoadError(`teacher.json names the output "${description.output.name}" but the model's outputs are ${session.outputNames.map((n) => `"${n}"`).join(', ')}`);
      }
      outputName = description.output.name;
    } else if (session.outputNames.length === 1) outputName = session.outputNames[0];
    else throw new TeacherLoadError(`the model has ${session.outputNames.length} outputs (${session.outputNames.join(', ')}); name the class output in teacher.json ("output": {"name": …})`);
    const outMeta = session.outputMetadata?.find((m) => m.name === outputName);
    const sizeMismatch = (k: number) =>
      new TeacherLoadError(`the model gives ${k} outputs but the label list has ${C} labels`);
    if (outMeta?.isTensor && outMeta.shape && outMeta.shape.length >= 2) {
      const last = outMeta.shape[outMeta.shape.length - 1];
      if (typeof last === 'number' && last !== C) throw sizeMismatch(last);
    }
    if (outMeta?.isTensor && outMeta.type && outMeta.type !== 'float32') {
      throw new TeacherLoadError(`the model's output "${outputName}" is ${outMeta.type}; a teacher must output float32 scores`);
    }

    const batch = fixedBatch ?? Math.max(1, opts.batch ?? 32);
    const per = 3 * H * W;

    async function runChunk(pixels: Float32Array, n: number): Promise<Float32Array> {
      // A model with a fixed batch size gets zero-padded chunks; only the first n rows are kept.
      let feed = pixels;
      if (fixedBatch !== null && n !== fixedBatch) {
        feed = new Float32Array(fixedBatch * per);
        feed.set(pixels.subarray(0, n * per));
      }
      const rows = fixedBatch ?? n;
      const out = await session.run({ [inputName]: new ort.Tensor('float32', feed, [rows, 3, H, W]) });
      const t = out[outputName];
      if (!t || !(t.data instanceof Float32Array)) throw new Error(`the model's output "${outputName}" is not float32 data`);
      const k = t.data.length / rows;
      if (!Number.isInteger(k) || k !== C) throw sizeMismatch(Number.isInteger(k) ? k : t.data.length);
      return t.data.slice(0, n * C);
    }

    function toProbabilities(scores: Float32Array, n: number): Float32Array {
      const out = new Float32Array(n * C);
      for (let i = 0; i < n; i++) {
        const o = i * C;
        if (description.output.kind === 'logits') {
          let mx = -Infinity;
          for (let c = 0; c < C; c++) mx = Math.max(mx, scores[o + c]);
          let s = 0;
          for (let c = 0; c < C; c++) s += Math.exp(scores[o + c] - mx);
          for (let c = 0; c < C; c++) out[o + c] = Math.exp(scores[o + c] - mx) / s;
        } else {
          let s = 0;
          for (let c = 0; c < C; c++) {
            const p = scores[o + c];
            if (!(p >= -1e-6 && p <= 1 + 1e-6)) {
              throw new Error(`the teacher says it outputs probabilities, but image ${i} has ${p} for "${labels[c]}"; set "output": {"kind": "logits"} in teacher.json if these are logits`);
            }
            s += p;
          }
          if (Math.abs(s - 1) > PROB_SUM_TOLERANCE) {
            throw new Error(`the teacher says it outputs probabilities, but image ${i}'s sum to ${s.toFixed(4)}, not 1; set "output": {"kind": "logits"} in teacher.json if these are logits`);
          }
          for (let c = 0; c < C; c++) out[o + c] = Math.min(1, Math.max(0, scores[o + c])) / s;
        }
        for (let c = 0; c < C; c++) {
          if (!Number.isFinite(out[o + c])) throw new Error(`the teacher gave a non-finite score for image ${i}, class "${labels[c]}"`);
        }
      }
      return out;
    }

    async function predictPixels(pixels: Float32Array, B: number): Promise<Float32Array> {
      if (pixels.length !== B * per) throw new Error(`pixel_values hold ${pixels.length} values, expected ${B}×3×${H}×${W}`);
      const out = new Float32Array(B * C);
      for (let b = 0; b < B; b += batch) {
        const n = Math.min(batch, B - b);
        out.set(toProbabilities(await runChunk(pixels.subarray(b * per, (b + n) * per), n), n), b * C);
      }
      return out;
    }

    // Probe: one blank (mean-coloured) image confirms the output size when the metadata could
    // not (symbolic last dimension) and checks a "probabilities" model really sums to 1.
    try {
      await predictPixels(new Float32Array(per), 1);
    } catch (e) {
      if (e instanceof TeacherLoadError) throw e;
      throw new TeacherLoadError(`the teacher model fails on a test image: ${(e as Error)?.message ?? e}`);
    }

    return {
      name: description.name,
      description,
      labels,
      C,
      preprocess,
      inputSize: [H, W],
      outputKind: description.output.kind,
      predictPixels,
      async predict(images, popts = {}) {
        const out = new Float32Array(images.length * C);
        // Preprocess one model batch at a time so peak memory stays at one batch of pixels.
        for (let i = 0; i < images.length; i += batch) {
          const chunk = images.slice(i, i + batch);
          const { data } = preprocessBatch(chunk, preprocess);
          out.set(await predictPixels(data, chunk.length), i * C);
          popts.onProgress?.(i + chunk.length, images.length);
        }
        return out;
      },
      async dispose() {
        await session.release();
      },
    };
  } catch (e) {
    await session.release().catch(() => undefined);
    throw e;
  }
}
