/**
 * Export and import of the whole project as one file (data/project's zip format): the dataset
 * (names, labels, split, raw activations, teacher probabilities, standardisation, thumbnails),
 * the core session with its provenance tree, tuning boxes, training and project settings.
 * Import checks the payload's shape (zod), the dataset's internal consistency and the session
 * (the autosave's `fromSaved` checks) before anything changes; on failure it returns the
 * specific message and the open project stays as it was.
 */
import { z } from 'zod';
import { packProject, unpackProject, type ReadLimits, type Thumbnail } from '../data/project/projectFile.ts';
import { initialUi } from './actions.ts';
import { fromSaved, SAVE_VERSION } from './persistence.ts';
import type { StudioState } from './store.ts';
import type { Dataset } from './types.ts';

const int = z.number().int().nonnegative();
const f32 = z.instanceof(Float32Array);
const i32 = z.instanceof(Int32Array);
const mat = z.object({ rows: int, cols: int, data: f32 });

const datasetSchema = z.object({
  source: z.union([
    z.object({ kind: z.literal('synthetic'), seed: z.number(), N: int, M: int }),
    z.object({ kind: z.literal('demo'), url: z.string() }),
    z.object({ kind: z.literal('imported'), name: z.string() }),
  ]),
  name: z.string(),
  N: int.min(1), M: int.min(1), C: int.min(2),
  classes: z.array(z.string()),
  concepts: z.array(z.string()),
  imageNames: z.array(z.string()),
  labels: i32.nullable(),
  teacher: mat,
  teacherPred: i32,
  raw: mat,
  stats: z.object({ mu: f32, sigma: f32 }),
  ahat: f32,
  bestRegion: z.instanceof(Uint8Array).nullable(),
  regionGrid: z.number().int().min(1).max(3),
  sizes: z.instanceof(Uint32Array).nullable().optional(),
  split: z.object({ train: i32, heldOut: i32 }),
  isTest: z.instanceof(Uint8Array),
  teacherDescription: z.string(),
  modelDescription: z.string(),
  // Demo-style projects: the image model, the kept concepts' text embeddings and the image
  // embeddings (shapes are checked against N, M and D by persistence's embeddingProblem).
  imageModel: z.object({
    id: z.string().min(1),
    embeddingDim: int.min(1),
    preprocessing: z.object({
      size: int.min(1), crop: z.enum(['center', 'none']), mean: z.array(z.number()).length(3), std: z.array(z.number()).length(3),
      resample: z.enum(['bicubic', 'bilinear', 'nearest']), padToSquare: z.boolean(),
    }),
  }).nullable().optional(),
  conceptText: mat.nullable().optional(),
  imageEmbeddings: z.object({ R: int.min(1), D: int.min(1), data: f32 }).nullable().optional(),
  classText: mat.nullable().optional(),
});

const payloadSchema = z.object({
  dataset: datasetSchema,
  session: z.object({ state: z.object({}).passthrough(), history: z.object({ nodes: z.record(z.string(), z.unknown()) }).passthrough() }).passthrough(),
  boxes: z.record(z.string(), z.unknown()),
  training: z.object({ lambda: z.number().positive(), members: int.min(1), seed: z.number().int(), heldOutFraction: z.number().gt(0).lt(1) }),
  settings: z.object({ padToSquare: z.boolean(), log: z.array(z.object({ time: z.number(), text: z.string() })) }),
});

/** The first way the arrays of a dataset disagree with its sizes, or null. */
export function datasetProblem(ds: Dataset): string | null {
  const { N, M, C } = ds;
  const need: [string, number, number][] = [
    ['classes', ds.classes.length, C], ['concepts', ds.concepts.length, M], ['imageNames', ds.imageNames.length, N],
    ['teacher', ds.teacher.data.length, N * C], ['teacher.rows', ds.teacher.rows, N], ['teacher.cols', ds.teacher.cols, C],
    ['teacherPred', ds.teacherPred.length, N], ['raw', ds.raw.data.length, N * M], ['raw.rows', ds.raw.rows, N], ['raw.cols', ds.raw.cols, M],
    ['stats.mu', ds.stats.mu.length, M], ['stats.sigma', ds.stats.sigma.length, M], ['ahat', ds.ahat.length, N * M], ['isTest', ds.isTest.length, N],
  ];
  if (ds.labels) need.push(['labels', ds.labels.length, N]);
  if (ds.bestRegion) need.push(['bestRegion', ds.bestRegion.length, N * M]);
  if (ds.sizes) need.push(['sizes', ds.sizes.length, 2 * N]);
  for (const [what, got, want] of need) if (got !== want) return `dataset.${what} has ${got} values, expected ${want}`;
  for (let i = 0; i < N; i++) {
    if (ds.teacherPred[i] < 0 || ds.teacherPred[i] >= C) return `dataset.teacherPred[${i}] is ${ds.teacherPred[i]}, not a class index below ${C}`;
    if (ds.labels && (ds.labels[i] < -1 || ds.labels[i] >= C)) return `dataset.labels[${i}] is ${ds.labels[i]}, not −1 or a class index below ${C}`;
  }
  for (const part of ['train', 'heldOut'] as const) {
    const idx = ds.split[part];
    for (let k = 0; k < idx.length; k++) if (idx[k] < 0 || idx[k] >= N) return `dataset.split.${part}[${k}] is ${idx[k]}, outside 0…${N - 1}`;
  }
  if (!ds.split.heldOut.length) return 'dataset.split.heldOut is empty: metrics need held-out images';
  for (let j = 0; j < M; j++) if (!(ds.stats.sigma[j] > 0)) return `dataset.stats.sigma[${j}] is ${ds.stats.sigma[j]}, not positive`;
  return null;
}

// svg: the placeholder tiles of projects imported from precomputed embeddings (no images).
const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', svg: 'image/svg+xml' };

async function thumbBytes(url: string): Promise<Thumbnail | null> {
  try {
    const r = await fetch(url);
    const type = r.headers.get('content-type') ?? '';
    const ext = Object.entries(MIME).find(([, m]) => type.startsWith(m))?.[0] ?? 'png';
    return { bytes: new Uint8Array(await r.arrayBuffer()), ext };
  } catch {
    return null;
  }
}

/** The project as one zip (bytes). Thumbnails that are URLs are fetched and stored as files. */
export async function exportProjectZip(s: StudioState, generator = 'Concept Tuning Studio'): Promise<Uint8Array> {
  const ds = s.dataset;
  if (!ds || !s.session) throw new Error('there is no project to export');
  const thumbs = ds.thumbs ? await Promise.all(ds.thumbs.map((u) => (u ? thumbBytes(u) : null))) : null;
  // An open drag is saved as if it had ended (the group is gesture state, not history).
  const session = s.session.history.group ? { ...s.session, history: { ...s.session.history, group: null } } : s.session;
  const shapes = new Map<unknown, number[]>([[ds.raw.data, [ds.N, ds.M]], [ds.teacher.data, [ds.N, ds.C]], [ds.ahat, [ds.N, ds.M]]]);
  if (ds.bestRegion) shapes.set(ds.bestRegion, [ds.N, ds.M]);
  if (ds.sizes) shapes.set(ds.sizes, [ds.N, 2]);
  if (ds.conceptText) shapes.set(ds.conceptText.data, [ds.conceptText.rows, ds.conceptText.cols]);
  if (ds.classText) shapes.set(ds.classText.data, [ds.classText.rows, ds.classText.cols]);
  if (ds.imageEmbeddings) shapes.set(ds.imageEmbeddings.data, [ds.N, ds.imageEmbeddings.R, ds.imageEmbeddings.D]);
  return packProject({
    generator,
    payload: { dataset: { ...ds, thumbs: null }, session, boxes: s.boxes, training: s.training, settings: s.settings },
    shapes, thumbs,
  });
}

export type ProjectImportOutcome = { ok: true; label: string } | { ok: false; error: string };

/**
 * Read a project zip and make it the open project (a `hydrate`: its history comes with it).
 * `makeUrl` turns thumbnail bytes into URLs (the app passes blob URLs). Nothing changes on failure.
 */
export function importProjectZip(s: StudioState, bytes: Uint8Array, fileName: string,
  makeUrl: (t: Thumbnail) => string = () => '', limits?: ReadLimits): ProjectImportOutcome {
  const fail = (e: string): ProjectImportOutcome => ({ ok: false, error: `${fileName}: ${e}` });
  const r = unpackProject(bytes, limits);
  if (!r.ok) return fail(r.error);
  const parsed = payloadSchema.safeParse(r.value.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`project.json payload.${issue.path.join('.')}: ${issue.message}`);
  }
  const p = r.value.payload as { dataset: Dataset; session: unknown; boxes: unknown; training: unknown; settings: unknown };
  const dsProblem = datasetProblem(p.dataset);
  if (dsProblem) return fail(dsProblem);
  if (r.value.thumbs && r.value.thumbs.length !== p.dataset.N) return fail(`it has ${r.value.thumbs.length} thumbnails for ${p.dataset.N} images`);
  const restored = fromSaved(SAVE_VERSION, { ...p, synthetic: null, ui: initialUi() });
  if ('error' in restored) return fail(restored.error);
  // Only now, with everything checked, are thumbnails turned into URLs and the project replaced.
  const thumbs = r.value.thumbs ? r.value.thumbs.map((t) => (t ? makeUrl(t) : '')) : null;
  const dataset: Dataset = { ...restored.dataset, thumbs: thumbs && thumbs.some(Boolean) ? thumbs : null };
  try {
    // Hydrating derives the live logits and metrics before it replaces anything: a throw here
    // (damage the checks above did not foresee) leaves the open project as it was.
    s.commit({ type: 'hydrate', ...restored, dataset });
  } catch (e) {
    return fail(`the project could not be opened (${e instanceof Error ? e.message : String(e)})`);
  }
  return { ok: true, label: `Opened the project file '${fileName}' (${dataset.N.toLocaleString('en')} images, ${Object.keys(restored.session.history.nodes).length} history steps)` };
}

export const thumbMime = (ext: string): string => MIME[ext] ?? 'application/octet-stream';
