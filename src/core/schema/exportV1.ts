/**
 * The student export, version 1 (METHODS.md §9), as a zod schema. This file fixes the SHAPE;
 * validate.ts checks what a schema cannot say well (sizes that must agree across fields,
 * positive σ, a sound provenance tree, a self-consistent check block).
 *
 * Conventions: every matrix is a flat row-major number array (numbers.ts); C = classes.length,
 * M = concepts.length, D = model.embeddingDim, R = regionCount(regions.grid).
 * Unknown keys are dropped on read (a newer minor writer may add fields a v1 reader ignores).
 *
 * Activation-only files (`model.embeddingDim: null`): a student distilled from precomputed raw
 * concept activations (`concept-studio distill --activations A.npy …`) has no text embeddings and
 * no image model. Its predictor input is the M raw activations a_j themselves; the file then
 * holds no concept/class/domain text embeddings, no OOD block, no domain calibration and no
 * check-image embeddings (validate.ts enforces all-or-none); `model.preprocessing` may be left
 * out (there is no image encoder). `embeddingDim: null`, `training` and the optional
 * `preprocessing` / `textEmbedding` / `embeddings` were added to version 1 without a
 * version bump: no file was ever written without those fields, so every earlier v1 file is
 * still a valid v1 file.
 */

import { z } from 'zod';

export const STUDENT_FORMAT = 'concept-tuning-studio/student';
export const CURRENT_VERSION = 1;

/** Short description of a value for error messages: `null`, `"abc"`, `an object`, `12`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return `a ${typeof v === 'object' ? 'object' : typeof v}`.replace('a object', 'an object');
}

// Weights, statistics and metrics are float32 in the studio: a finite JSON number beyond the float32
// range (1e300) would become Infinity when loaded, so it is refused here with its path.
const FLOAT32_MAX = 3.4028234663852886e38;
const finite = z
  .number({ error: (iss) => `expected a finite number, got ${describeValue(iss.input)}` })
  .refine((x) => Math.abs(x) <= FLOAT32_MAX, { error: (iss) => `${describeValue(iss.input)} is outside the float32 range (±3.4e38)` });
const count = z.number().int().nonnegative();
const nums = z.array(finite);
const share = finite.min(0).max(1);

/**
 * Regions: 1 = the full image only; 4 = full image + 2×2 grid; 9 = full image + 3×3 grid.
 * Grid cells overlap by `overlap` (a fraction of the cell size). Row 0 of an image's region
 * embeddings is always the full image.
 */
export function regionCount(grid: 1 | 4 | 9): number {
  return grid === 1 ? 1 : 1 + grid;
}

const preprocessing = z.object({
  /** Side of the square input, e.g. 224. */
  size: z.number().int().positive(),
  crop: z.enum(['center', 'none']),
  mean: nums,
  std: nums,
  resample: z.enum(['bicubic', 'bilinear', 'nearest']),
  padToSquare: z.boolean(),
});

export const metricsSchema = z.object({
  fidelity: share,
  accuracy: share.nullable(),
  n: count,
  perClass: z.array(z.object({ fidelity: share.nullable(), accuracy: share.nullable(), n: count })),
});

const provenanceNode = z.object({
  id: z.string().min(1),
  parentId: z.string().min(1).nullable(),
  time: finite,
  action: z.string().min(1),
  params: z.json(),
  label: z.string(),
  metricsAfter: metricsSchema.optional(),
  flipped: z.array(z.object({ image: count, from: count, to: count })).optional(),
  weightsRef: z.string().optional(),
});

const checkImage = z.object({
  id: z.string().optional(),
  /** R×D region embeddings, row 0 = full image (L2-normalised); absent in activation-only files. */
  embeddings: nums.optional(),
  /**
   * Raw activations a_j = max(0, max_r cos), M. In activation-only files this is the INPUT
   * of the check (the predictor starts from it), so it is not recomputed.
   */
  activations: nums,
  /** Standardised activations â_j (domain-calibrated when the domain block is on), M. */
  standardized: nums,
  /** z_c = w_c·â + b_c, C. */
  logits: nums,
  /** argmax_c z_c (first on ties). */
  prediction: count,
  /** MCM score when an OOD block is present, else null. */
  oodScore: finite.nullable(),
});

export const studentExportV1 = z.object({
  format: z.literal(STUDENT_FORMAT),
  version: z.literal(1),
  /** Free text: app version and time of export, for people. */
  generator: z.string().optional(),
  model: z.object({
    id: z.string().min(1),
    /** D, or null for an activation-only student (no text or image embeddings anywhere). */
    embeddingDim: z.number().int().positive().nullable(),
    dtype: z.string().optional(),
    /** How images are prepared for the image encoder; required unless embeddingDim is null (no encoder). */
    preprocessing: preprocessing.optional(),
  }),
  prompts: z.object({ templates: z.array(z.string().min(1)).min(1) }),
  regions: z.object({ grid: z.union([z.literal(1), z.literal(4), z.literal(9)]), overlap: finite.min(0).max(0.5) }),
  concepts: z
    /** textEmbedding (D) is required when model.embeddingDim is a number, forbidden when null. */
    .array(z.object({ name: z.string().min(1), category: z.string().optional(), mu: finite, sigma: finite, textEmbedding: nums.optional() }))
    .min(1),
  classes: z.array(z.object({ name: z.string().min(1), prompt: z.string().optional(), textEmbedding: nums.optional() })).min(1),
  student: z.object({
    /** The served model (C×M, C): the exact weights the sliders show and predictions use. */
    W: nums,
    b: nums,
    /** The k bootstrap members, information only: W[k] is C×M, b[k] is C. */
    members: z.object({ W: z.array(nums), b: z.array(nums) }),
    /** Members' 10th / 90th percentile per weight (C×M each), information only. */
    lo: nums,
    hi: nums,
  }),
  ood: z
    .object({ score: z.enum(['mcm', 'mcm-student']), tau: finite, threshold: finite, calibrationN: count })
    .nullable()
    .optional(),
  domain: z
    .object({
      mode: z.enum(['off', 'source', 'test-time']),
      temperature: finite,
      domains: z.array(z.object({ prompt: z.string().min(1), textEmbedding: nums, mu: nums, sigma: nums })),
    })
    .nullable()
    .optional(),
  /**
   * How the served student was fitted (METHODS §4), so a later `tune` can rebuild the same
   * distill/held-out split and bootstrap resamples: L1 strength λ ≥ 0, k members, the seed of
   * the split and the resamples, and the held-out share in (0, 1). Null/absent when unknown.
   */
  training: z
    .object({ lambda: finite, members: z.number().int(), seed: z.number().int(), heldOutFraction: finite })
    .nullable()
    .optional(),
  /**
   * Tuning bounds in force (METHODS §5): every weight a tune or ban constrained, as the interval
   * [lo, hi] the refit projects it into (null = unbounded on that side). A later refit keeps
   * them, so a banned concept stays banned. Absent/null when nothing was tuned.
   */
  tuning: z
    .object({ bounds: z.array(z.object({ class: count, concept: count, lo: finite.nullable(), hi: finite.nullable() })) })
    .nullable()
    .optional(),
  teacher: z.object({
    kind: z.enum(['onnx', 'zero-shot', 'file', 'http', 'labels']),
    name: z.string().min(1),
    description: z.string().optional(),
  }),
  metrics: z.object({
    splits: z.object({ distill: count, heldOut: count }),
    /** Held-out metrics of the served student; null when not measured. */
    heldOut: metricsSchema.nullable(),
  }),
  provenance: z.object({ head: z.string().min(1), nodes: z.array(provenanceNode).min(1) }),
  check: z.object({ images: z.array(checkImage) }),
});

/** A parsed, validated version-1 student export (plain JSON data). */
export type StudentExportV1 = z.infer<typeof studentExportV1>;
/** The current export type (alias that moves when a version 2 arrives). */
export type StudentExport = StudentExportV1;
export type CheckImage = z.infer<typeof checkImage>;
export type TrainingJson = NonNullable<StudentExportV1['training']>;
export type TuningJson = NonNullable<StudentExportV1['tuning']>;
export type ProvenanceNodeJson = z.infer<typeof provenanceNode>;
