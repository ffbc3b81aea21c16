/**
 * The prepared demo cache (public/demo/cache/, written by `npm run demo:prepare`,
 * tools/demo/prepare.ts): the demo project's arrays computed once in Node with the studio's own
 * code, so the studio can open the demo without embedding 1,470 images first. This module is the
 * one definition of the format, shared by the writer and the studio's loader: a zod schema for
 * cache.json, and pure decoding of the .bin files with shape, value and (optionally) hash checks.
 *
 * Format, version 1:
 *   cache.json                manifest (schema below): shapes, model and teacher ids, template,
 *                             regions, classes, concepts, image ids in row order, and per array
 *                             its file, shape, byte size and sha256 (hex of the file's bytes)
 *   image_embeddings.bin      N×R×D  L2-normalised CLIP image embeddings (R = 1: the full image)
 *   concept_embeddings.bin    M×D    text embeddings of every corpus line, template "a photo of {concept}"
 *   class_embeddings.bin      C×D    text embeddings of the class prompts "a photo of a {class}"
 *   activations.bin           N×M    raw a_ij = max(0, max_r cos(x_ir, t_j)) (METHODS.md §2), whole corpus
 *   teacher_probabilities.bin N×C    the ONNX teacher's softmax probabilities
 *   labels.bin                N      true class index as a float (−1 = no label, e.g. non-parts)
 * Every .bin is raw little-endian float32, row-major, no header. Rows follow `imageIds`
 * (the order of public/demo/dataset.json); concepts follow the corpus file's line order
 * (blank lines skipped); classes follow dataset.json's task.classes.
 */
import { z } from 'zod';
import type { Mat } from '../../core/types.ts';

export const DEMO_CACHE_VERSION = 1;
export const DEMO_CACHE_FILE = 'cache.json';

export const DEMO_ARRAY_NAMES = ['imageEmbeddings', 'conceptEmbeddings', 'classEmbeddings', 'activations', 'teacherProbabilities', 'labels'] as const;
export type DemoArrayName = (typeof DEMO_ARRAY_NAMES)[number];

const dim = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

export const demoArrayEntrySchema = z.object({
  file: z.string().regex(/^[A-Za-z0-9_.-]+\.bin$/, 'must be a plain file name ending in .bin'),
  shape: z.array(dim).min(1).max(3),
  bytes: dim,
  sha256,
});
export type DemoArrayEntry = z.infer<typeof demoArrayEntrySchema>;

export const demoCacheManifestSchema = z
  .object({
    version: z.literal(DEMO_CACHE_VERSION),
    generator: z.string(),
    dtype: z.literal('float32'),
    byteOrder: z.literal('little-endian'),
    N: dim,
    M: dim,
    C: z.number().int().min(2),
    D: z.number().int().positive(),
    model: z.object({ id: z.string().min(1), device: z.string(), dtype: z.string(), files: z.record(z.string(), sha256) }),
    teacher: z.object({
      id: z.string().min(1),
      name: z.string(),
      description: z.string(),
      outputKind: z.enum(['logits', 'probabilities']),
      labels: z.array(z.string()),
      files: z.record(z.string(), sha256),
    }),
    template: z.string().min(1),
    classTemplate: z.string().min(1),
    regions: z.object({ grid: z.union([z.literal(1), z.literal(2), z.literal(3)]), R: z.number().int().positive(), pad: z.boolean() }),
    preprocessing: z.string(),
    classes: z.array(z.string().min(1)),
    concepts: z.array(z.object({ name: z.string(), category: z.string().nullable() })),
    corpus: z.object({ file: z.string(), sha256 }),
    dataset: z.object({ file: z.string(), sha256 }),
    imageIds: z.array(z.string().min(1)),
    sets: z.record(z.string(), dim),
    arrays: z.object({
      imageEmbeddings: demoArrayEntrySchema,
      conceptEmbeddings: demoArrayEntrySchema,
      classEmbeddings: demoArrayEntrySchema,
      activations: demoArrayEntrySchema,
      teacherProbabilities: demoArrayEntrySchema,
      labels: demoArrayEntrySchema,
    }),
  })
  .superRefine((m, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (m.imageIds.length !== m.N) issue(['imageIds'], `${m.imageIds.length} image ids but N = ${m.N}`);
    if (new Set(m.imageIds).size !== m.imageIds.length) issue(['imageIds'], 'image ids are not unique');
    if (m.concepts.length !== m.M) issue(['concepts'], `${m.concepts.length} concepts but M = ${m.M}`);
    if (m.classes.length !== m.C) issue(['classes'], `${m.classes.length} classes but C = ${m.C}`);
    if (m.teacher.labels.length !== m.C) issue(['teacher', 'labels'], `the teacher has ${m.teacher.labels.length} labels but C = ${m.C}`);
    const R = m.regions.grid === 1 ? 1 : 1 + m.regions.grid * m.regions.grid;
    if (m.regions.R !== R) issue(['regions', 'R'], `grid ${m.regions.grid} gives ${R} regions, not ${m.regions.R}`);
    const expected: Record<DemoArrayName, number[]> = {
      imageEmbeddings: [m.N, m.regions.R, m.D],
      conceptEmbeddings: [m.M, m.D],
      classEmbeddings: [m.C, m.D],
      activations: [m.N, m.M],
      teacherProbabilities: [m.N, m.C],
      labels: [m.N],
    };
    const files = new Set<string>();
    for (const name of DEMO_ARRAY_NAMES) {
      const a = m.arrays[name];
      if (a.shape.join('×') !== expected[name].join('×')) issue(['arrays', name, 'shape'], `shape is ${a.shape.join('×')}, expected ${expected[name].join('×')}`);
      const want = a.shape.reduce((p, d) => p * d, 1) * 4;
      if (a.bytes !== want) issue(['arrays', name, 'bytes'], `${a.bytes} bytes for shape ${a.shape.join('×')} of float32 (expected ${want})`);
      if (files.has(a.file)) issue(['arrays', name, 'file'], `file ${a.file} is used twice`);
      files.add(a.file);
    }
  });

export type DemoCacheManifest = z.infer<typeof demoCacheManifestSchema>;

export class DemoCacheError extends Error {
  override name = 'DemoCacheError';
}

/** Validate cache.json (text or parsed); one message listing every problem with its path. */
export function parseDemoCacheManifest(json: unknown): DemoCacheManifest {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new DemoCacheError(`cache.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (value && typeof value === 'object' && 'version' in value && (value as { version: unknown }).version !== DEMO_CACHE_VERSION) {
    throw new DemoCacheError(`cache.json has version ${String((value as { version: unknown }).version)}; this studio reads version ${DEMO_CACHE_VERSION} (run npm run demo:prepare)`);
  }
  const r = demoCacheManifestSchema.safeParse(value);
  if (!r.success) {
    throw new DemoCacheError(`cache.json is invalid: ${r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}

/** Little-endian float32 bytes → Float32Array (a copy, aligned; correct on any host byte order). */
export function float32FromLE(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new DemoCacheError(`${bytes.byteLength} bytes is not a whole number of float32 values`);
  const n = bytes.byteLength / 4;
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Float32Array → little-endian bytes (the writer's side). */
export function float32ToLE(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

/** Hex SHA-256 with Web Crypto (browsers, workers, Node ≥ 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Decode one array's bytes against its manifest entry: size, finiteness and value-range checks. */
export function decodeDemoArray(manifest: DemoCacheManifest, name: DemoArrayName, bytes: Uint8Array): Float32Array {
  const e = manifest.arrays[name];
  if (bytes.byteLength !== e.bytes) {
    throw new DemoCacheError(`${e.file} has ${bytes.byteLength} bytes but cache.json says ${e.bytes} (shape ${e.shape.join('×')} float32): the cache is stale or truncated; run npm run demo:prepare`);
  }
  const data = float32FromLE(bytes);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new DemoCacheError(`${e.file}: value ${i} is ${data[i]}`);
  }
  if (name === 'teacherProbabilities') {
    const C = manifest.C;
    for (let i = 0; i < manifest.N; i++) {
      let s = 0;
      for (let c = 0; c < C; c++) {
        const p = data[i * C + c];
        if (p < 0 || p > 1) throw new DemoCacheError(`${e.file}: image ${i}, class ${c} is ${p}, not a probability`);
        s += p;
      }
      if (Math.abs(s - 1) > 1e-3) throw new DemoCacheError(`${e.file}: image ${i}'s probabilities sum to ${s}`);
    }
  }
  if (name === 'labels') {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < -1 || v >= manifest.C) throw new DemoCacheError(`${e.file}: label of image ${i} is ${v}; expected −1 or a class index below ${manifest.C}`);
    }
  }
  if (name === 'activations') {
    for (let i = 0; i < data.length; i++) {
      if (data[i] < 0 || data[i] > 1 + 1e-5) throw new DemoCacheError(`${e.file}: activation ${i} is ${data[i]}, outside [0, 1]`);
    }
  }
  return data;
}

export interface DemoCache {
  manifest: DemoCacheManifest;
  /** N×R×D, image-major. */
  imageEmbeddings: { N: number; R: number; D: number; data: Float32Array };
  conceptEmbeddings: Mat;
  classEmbeddings: Mat;
  /** N×M raw activations over the whole corpus. */
  activations: Mat;
  teacherProbabilities: Mat;
  /** N true class indices, −1 where there is no label. */
  labels: Int32Array;
}

export interface LoadDemoCacheOptions {
  /** Check each file's sha256 against the manifest (default true; ~1 ms per MB). */
  verifyHashes?: boolean;
}

/**
 * Read a whole cache through `readFile` (e.g. `name => fetch(base + name)…`, or fs in Node).
 * Validates the manifest, then every file; throws DemoCacheError with a specific message.
 */
export async function loadDemoCache(manifestJson: unknown, readFile: (file: string) => Promise<Uint8Array>, opts: LoadDemoCacheOptions = {}): Promise<DemoCache> {
  const m = parseDemoCacheManifest(manifestJson);
  const arrays = {} as Record<DemoArrayName, Float32Array>;
  await Promise.all(
    DEMO_ARRAY_NAMES.map(async (name) => {
      const e = m.arrays[name];
      let bytes: Uint8Array;
      try {
        bytes = await readFile(e.file);
      } catch (err) {
        throw new DemoCacheError(`cannot read ${e.file}: ${(err as Error)?.message ?? err}`);
      }
      if (opts.verifyHashes !== false) {
        const h = await sha256Hex(bytes);
        if (h !== e.sha256) throw new DemoCacheError(`${e.file} does not match cache.json (sha256 ${h.slice(0, 12)}…, expected ${e.sha256.slice(0, 12)}…): run npm run demo:prepare`);
      }
      arrays[name] = decodeDemoArray(m, name, bytes);
    }),
  );
  return {
    manifest: m,
    imageEmbeddings: { N: m.N, R: m.regions.R, D: m.D, data: arrays.imageEmbeddings },
    conceptEmbeddings: { rows: m.M, cols: m.D, data: arrays.conceptEmbeddings },
    classEmbeddings: { rows: m.C, cols: m.D, data: arrays.classEmbeddings },
    activations: { rows: m.N, cols: m.M, data: arrays.activations },
    teacherProbabilities: { rows: m.N, cols: m.C, data: arrays.teacherProbabilities },
    labels: Int32Array.from(arrays.labels),
  };
}
