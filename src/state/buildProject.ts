/**
 * A studio project from the user's own images (DESIGN.md "The flow of data"): images → region
 * embeddings (embed worker, cached by content hash) → concept activations against a corpus →
 * teacher probabilities (labels, CLIP zero-shot, an ONNX classifier, or a predictions file) →
 * corpus hygiene → seeded distillation / held-out split → distilled student.
 *
 * Plain async functions; the embedder, the ONNX teacher runner and the distillation engine are
 * injected (the app installs the workers, Node tests pass stand-ins or the real tiny CLIP), so
 * the whole pipeline runs in Node. Nothing here touches the store: the caller commits the
 * result with the store's 'load' action, so the open project stays until the new one is ready.
 *
 * `buildProjectFromEmbeddings` is the entry for embeddings computed elsewhere (.npy, parquet);
 * `buildProjectFromImages` decodes and embeds files first.
 */
import type { CancelToken, Ensemble, Mat, Metrics, Progress } from '../core/types.ts';
import { CancelledError } from '../core/types.ts';
import { conceptActivations } from '../core/concepts/activations.ts';
import { selectConcepts } from '../core/concepts/stats.ts';
import { argmaxRows, takeRows } from '../core/math/linalg.ts';
import { distillSplit } from '../core/pipeline/distill.ts';
import { demoHygiene, distillDemo } from './demoProject.ts';
import { getEngine, type Engine } from './engine.ts';
import { DEFAULT_TRAINING } from './project.ts';
import { CLASS_TEMPLATE, teacherProbabilities } from './buildTeacher.ts';
import { parseLabelsCsv, stripCommonRoot } from './importScan.ts';
import type { Dataset, ImageModel, Training } from './types.ts';

export const CONCEPT_TEMPLATE = 'a photo of {concept}';
export { CLASS_TEMPLATE };

/** Where the teacher's probabilities come from (METHODS.md §3). */
export type TeacherChoice =
  /** Ground-truth labels as one-hot targets (a plain concept bottleneck model); unlabelled images are left out. */
  | { kind: 'labels' }
  /** CLIP zero-shot over "a photo of a {class}". */
  | { kind: 'zero-shot' }
  /** A predictions file (CSV or JSON): image id or file name → class or probabilities. */
  | { kind: 'file'; fileName: string; text: string }
  /** The user's ONNX classifier with its label list (.txt, one per line, or a teacher.json); needs the images. */
  | { kind: 'onnx'; modelName: string; model: Uint8Array; labelsName: string; labelsText: string }
  /** Probabilities computed already (N×C over `classes`, rows in the images' order). */
  | { kind: 'probabilities'; classes: string[]; probs: Mat; description: string };

/** An image model as the pipeline needs it; the app wraps the embed worker, tests a stand-in. */
export interface BuildEmbedder {
  /** Loads the model if needed; its description for the export (null: unknown preprocessing) and in words. */
  describe(): Promise<{ imageModel: ImageModel | null; description: string }>;
  embedTexts(texts: string[], templates: string[], signal?: AbortSignal): Promise<Float32Array>;
  /**
   * Region embeddings of image files (the bytes may be handed over: callers pass what they no
   * longer need). With `thumbnailSide`, also a JPEG thumbnail per embedded id, made from the
   * pixels decoded for the model: each image is decoded once per build.
   */
  embedFiles(
    files: { id: string; bytes: Uint8Array }[],
    opts: { grid: 1 | 2 | 3; pad: boolean; thumbnailSide?: number },
    call: { onProgress?: (p: { done: number; total: number; cached: number }) => void; signal?: AbortSignal },
  ): Promise<{ ids: string[]; embeddings: Float32Array; R: number; D: number; errors: { id: string; message: string }[]; cached: number; thumbnails?: (Uint8Array | null)[] }>;
}

/** Longest side of the gallery thumbnails made while embedding own images. */
export const THUMBNAIL_SIDE = 96;

/** Runs the user's ONNX classifier over image files (in a worker in the app). */
export type OnnxTeacherRunner = (
  teacher: Extract<TeacherChoice, { kind: 'onnx' }>,
  files: { id: string; bytes: Uint8Array }[],
  call: { signal?: AbortSignal },
) => Promise<{ labels: string[]; probs: Float32Array; errors: { id: string; message: string }[]; description: string }>;

/** How the app makes an embedder: the model, whether images are padded to square, and whether a hub download was agreed to. */
export type EmbedderFactory = (modelId: string, opts: { pad: boolean; allowDownload: boolean }) => BuildEmbedder;
let embedderFor: EmbedderFactory | null = null;
let onnxRunner: OnnxTeacherRunner | null = null;
/** The app installs the embed worker here (one embedder per model id). */
export function setBuildEmbedder(f: EmbedderFactory | null): void {
  embedderFor = f;
}
/** The app installs the ONNX teacher worker here. */
export function setOnnxTeacherRunner(r: OnnxTeacherRunner | null): void {
  onnxRunner = r;
}

export interface BuildCommon {
  name: string;
  corpus: { name: string; concepts: string[] };
  /** Image model id (registry or a folder under models/); null only with `conceptText` and a teacher that needs no model. */
  modelId: string | null;
  teacher: TeacherChoice;
  training?: Training;
  engine?: Engine;
  /** Overrides the installed embedder (tests). */
  embedder?: BuildEmbedder | null;
  /** Images were (or are to be) padded to a square instead of centre-cropped. */
  pad?: boolean;
  /** The user agreed to download a hub model. */
  allowDownload?: boolean;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export interface EmbeddingsInput extends BuildCommon {
  ids: string[];
  names: string[];
  thumbs: string[] | null;
  embeddings: { N: number; R: number; D: number; data: Float32Array };
  /** Class names (from folders or a labels CSV); may be empty when the teacher brings its own. */
  classes: string[];
  /** Class index per image into `classes`, −1 = unknown; null = no labels. */
  labels: Int32Array | null;
  /** M×D concept text embeddings for corpus.concepts; null = embed the corpus with the model. */
  conceptText: Mat | null;
  /** Images left out before this step, reported with the result. */
  skipped?: { name: string; reason: string }[];
}

export interface BuildResult {
  dataset: Dataset;
  ensemble: Ensemble;
  metrics: Metrics;
  /** The provenance label of the 'load' commit. */
  label: string;
  /** Files left out, by name, with the reason. */
  skipped: { name: string; reason: string }[];
  /** Other things the user should know (classes without ground truth, unused predictions…). */
  notes: string[];
}

const tokenOf = (signal?: AbortSignal): CancelToken => ({ get aborted() { return signal?.aborted ?? false; } });
const check = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new CancelledError();
};
function keepEmbeddings(E: EmbeddingsInput['embeddings'], keep: number[]): EmbeddingsInput['embeddings'] {
  const w = E.R * E.D;
  const data = new Float32Array(keep.length * w);
  keep.forEach((i, k) => data.set(E.data.subarray(i * w, (i + 1) * w), k * w));
  return { N: keep.length, R: E.R, D: E.D, data };
}

/** Dataset + distilled student from image embeddings (see the file comment). */
export async function buildProjectFromEmbeddings(input: EmbeddingsInput): Promise<BuildResult> {
  const E0 = input.embeddings;
  const say = (stage: string, done = 0, total = 0) => input.onProgress?.({ stage, done, total });
  if (!(E0.N > 0) || !(E0.R >= 1) || !(E0.D > 0) || E0.data.length !== E0.N * E0.R * E0.D) {
    throw new Error(`image embeddings hold ${E0.data.length} values, expected ${E0.N} images × ${E0.R} regions × ${E0.D}`);
  }
  if (input.ids.length !== E0.N || input.names.length !== E0.N) throw new Error(`${input.ids.length} ids and ${input.names.length} names for ${E0.N} images`);
  if (input.thumbs && input.thumbs.length !== E0.N) throw new Error(`${input.thumbs.length} thumbnails for ${E0.N} images`);
  if (input.labels && input.labels.length !== E0.N) throw new Error(`${input.labels.length} labels for ${E0.N} images`);
  if (new Set(input.ids).size !== input.ids.length) throw new Error('two images have the same id');
  for (let q = 0; q < E0.data.length; q++) if (!Number.isFinite(E0.data[q])) throw new Error(`image embeddings: value ${q} (image ${Math.floor(q / (E0.R * E0.D))}) is ${E0.data[q]}`);
  if (!input.corpus.concepts.length) throw new Error(`the concept corpus ${input.corpus.name} is empty`);
  const training = input.training ?? DEFAULT_TRAINING;
  let embedder: BuildEmbedder | null = null;
  const model = () => {
    if (embedder) return embedder;
    if (input.embedder) return (embedder = input.embedder);
    if (!input.modelId) throw new Error('no image model is chosen, so concept and class names cannot be embedded');
    if (!embedderFor) throw new Error('the image model is not available in this build');
    return (embedder = embedderFor(input.modelId, { pad: input.pad ?? false, allowDownload: input.allowDownload ?? false }));
  };
  const hasModel = input.embedder != null || (input.modelId != null && embedderFor != null);

  say('teacher predictions');
  const t = await teacherProbabilities(input, model);
  check(input.signal);
  const keep = t.keep;
  const E = keep ? keepEmbeddings(E0, keep) : E0;
  const pick = <T>(xs: T[]) => (keep ? keep.map((i) => xs[i]) : xs);
  const teacher = keep ? takeRows(t.probs, keep) : t.probs;
  const labels0 = t.labels && keep ? Int32Array.from(keep, (i) => t.labels![i]) : t.labels;
  const labels = labels0 && labels0.some((l) => l >= 0) ? labels0 : null;
  if (E.N < 4) throw new Error(`only ${E.N} usable image(s); a project needs at least 4 (some to distil on, some held out)`);
  const C = t.classes.length;

  // Concept and class text embeddings (the model, unless the caller brought concept text).
  say(`embedding ${input.corpus.concepts.length} concepts`);
  let conceptEmb: Mat;
  if (input.conceptText) {
    const ct = input.conceptText;
    if (ct.rows !== input.corpus.concepts.length || ct.cols !== E.D || ct.data.length !== ct.rows * ct.cols) {
      throw new Error(`concept text embeddings are ${ct.rows}×${ct.cols}, expected ${input.corpus.concepts.length} concepts × ${E.D}`);
    }
    conceptEmb = ct;
  } else {
    const d = await model().embedTexts(input.corpus.concepts, [CONCEPT_TEMPLATE], input.signal);
    if (d.length !== input.corpus.concepts.length * E.D) throw new Error(`the model gives ${d.length / input.corpus.concepts.length}-dimensional text embeddings but the images have ${E.D}: were they embedded with another model?`);
    conceptEmb = { rows: input.corpus.concepts.length, cols: E.D, data: d };
  }
  check(input.signal);
  let classText = t.classText;
  if (!classText && hasModel) classText = { rows: C, cols: E.D, data: await model().embedTexts(t.classes, [CLASS_TEMPLATE], input.signal) };
  const described = hasModel ? await model().describe() : { imageModel: null, description: 'embeddings imported from a file' };
  if (described.imageModel && described.imageModel.embeddingDim !== E.D) {
    throw new Error(`the model ${described.imageModel.id} gives ${described.imageModel.embeddingDim}-dimensional embeddings but the images have ${E.D}`);
  }
  check(input.signal);

  say('concept activations', 0, E.N);
  const raw0 = await activationsInSlices(E, conceptEmb, input.signal, (done) => say('concept activations', done, E.N));
  const split = distillSplit(teacher, training.heldOutFraction, training.seed);
  const { kept, report } = demoHygiene({ concepts: input.corpus.concepts, classes: t.classes, corpusName: input.corpus.name }, { raw: raw0, conceptEmb, classEmb: classText }, split.train);
  if (!kept.length) throw new Error(`corpus hygiene kept none of the ${input.corpus.concepts.length} concepts of ${input.corpus.name}`);
  const raw = selectConcepts(raw0, kept);
  const isTest = new Uint8Array(E.N);
  for (const i of split.heldOut) isTest[i] = 1;
  const M = kept.length;
  const imageModel = described.imageModel;
  const ds0: Dataset = {
    source: { kind: 'imported', name: input.name },
    name: input.name,
    N: E.N, M, C,
    classes: t.classes,
    concepts: kept.map((j) => input.corpus.concepts[j]),
    imageNames: pick(input.names),
    thumbs: input.thumbs ? pick(input.thumbs) : null,
    labels,
    teacher,
    teacherPred: argmaxRows(teacher),
    raw,
    stats: { mu: new Float32Array(M), sigma: new Float32Array(M).fill(1) },
    ahat: raw.data.slice(),
    bestRegion: null,
    regionGrid: E.R >= 10 ? 3 : E.R >= 5 ? 2 : 1,
    split,
    isTest,
    teacherDescription: t.description,
    modelDescription: described.description,
    hygiene: report,
    // Text and image embeddings travel only with the model they belong to (else: activation-only).
    imageModel,
    conceptText: imageModel ? takeRows(conceptEmb, kept) : null,
    imageEmbeddings: imageModel ? { R: E.R, D: E.D, data: E.data } : null,
    classText: imageModel ? classText : null,
  };
  say('distilling the student', 0, training.members);
  const r = await distillDemo(ds0, training, input.engine ?? getEngine(), { signal: input.signal ?? new AbortController().signal, token: tokenOf(input.signal), onProgress: (p) => input.onProgress?.(p) });
  return {
    dataset: r.dataset,
    ensemble: r.ensemble,
    metrics: r.metrics,
    label: `Built ${input.name} from ${E.N} images (${t.description})`,
    skipped: [...(input.skipped ?? []), ...(keep ? leftOut(input.names, keep).map((name) => ({ name, reason: 'it has no class (the labels teacher needs one)' })) : [])],
    notes: t.notes,
  };
}


/** Multiply-adds per slice of {@link activationsInSlices}: some 10–20 ms of the page's thread. */
const SLICE_WORK = 1.2e7;

/** Back to the event loop (input, rendering) without setTimeout's 4 ms clamp. */
export function yieldToPage(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof MessageChannel !== 'function') return void setTimeout(resolve, 0);
    const c = new MessageChannel();
    c.port1.onmessage = () => {
      c.port1.close();
      resolve();
    };
    c.port2.postMessage(0);
  });
}

/**
 * conceptActivations over slices of images, giving the page its thread back between slices (this
 * runs on the UI thread; with a 3×3 grid and a 512-d model one call over 1,000 images is over a
 * second of work). Each image's row depends on that image only, so the result is the same.
 */
export async function activationsInSlices(E: EmbeddingsInput['embeddings'], concepts: Mat, signal: AbortSignal | undefined, onDone: (done: number) => void, sliceWork = SLICE_WORK): Promise<Mat> {
  const M = concepts.rows;
  const step = Math.max(1, Math.floor(sliceWork / Math.max(1, E.R * E.D * M)));
  const out = new Float32Array(E.N * M);
  const w = E.R * E.D;
  for (let i0 = 0; i0 < E.N; i0 += step) {
    check(signal);
    const n = Math.min(step, E.N - i0);
    const part = conceptActivations({ N: n, R: E.R, D: E.D, data: E.data.subarray(i0 * w, (i0 + n) * w) }, concepts, { cancel: tokenOf(signal) });
    out.set(part.data, i0 * M);
    onDone(i0 + n);
    if (i0 + n < E.N) await yieldToPage();
  }
  return { rows: E.N, cols: M, data: out };
}

function leftOut(names: string[], keep: number[]): string[] {
  const k = new Set(keep);
  return names.filter((_, i) => !k.has(i));
}

// ------------------------------------------------------------------------------ from images

/** One image file to import: its path (class sub-folder / file name) and a way to read it. */
export interface ImageFileRef {
  path: string;
  read(): Promise<Uint8Array>;
}

export interface ImagesInput extends BuildCommon {
  files: ImageFileRef[];
  /** A labels CSV ("file,label"); without it the class is the file's sub-folder. */
  labelsCsv?: { name: string; text: string } | null;
  /** Regions per image (METHODS.md §1): 1 = the full image; 2 / 3 = plus a 2×2 / 3×3 overlapping grid (R = 5 / 10). */
  grid?: 1 | 2 | 3;
  /** Files read and embedded per step (bounds memory: only one chunk of bytes is held). */
  chunk?: number;
}

/** JPEG bytes → data: URL (saved with the project, allowed by the page's img-src). */
export function jpegDataUrl(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:image/jpeg;base64,${btoa(bin)}`;
}

/**
 * Decode + embed the files through the embedder (cache hits cost no model call), make
 * thumbnails once, run an ONNX teacher if chosen, then {@link buildProjectFromEmbeddings}.
 * A file that cannot be read or decoded is reported by name with the reason and left out.
 */
export async function buildProjectFromImages(input: ImagesInput): Promise<BuildResult> {
  const images = input.files.filter((f) => IMAGE_FILE.test(f.path));
  const notes: string[] = [];
  if (images.length < input.files.length) notes.push(`${input.files.length - images.length} file(s) that are not images (PNG, JPEG, GIF, BMP, WebP) were ignored.`);
  if (!images.length) throw new Error('no images found (PNG, JPEG, GIF, BMP or WebP)');
  const { classes, classOf } = classesFor(images.map((f) => f.path), input.labelsCsv ?? null);
  if (!input.modelId && !input.embedder) throw new Error('choose an image model first (Project › Model)');
  const embedder = input.embedder ?? (embedderFor ? embedderFor(input.modelId!, { pad: input.pad ?? false, allowDownload: input.allowDownload ?? false }) : null);
  if (!embedder) throw new Error('the image model is not available in this build');
  const teacher = input.teacher;
  if (teacher.kind === 'onnx' && !onnxRunner) throw new Error('the ONNX teacher runner is not available in this build');

  const N0 = images.length;
  const chunk = Math.max(1, input.chunk ?? 256);
  const skipped: { name: string; reason: string }[] = [];
  const ok: { path: string; emb: Float32Array; thumb: string | null; probs: Float32Array | null }[] = [];
  let R = 0, D = 0, cached = 0;
  let teacherLabels: string[] | null = null;
  let teacherDescription = '';
  const say = (done: number, what = 'embedding') => input.onProgress?.({ stage: `${what} · ${cached} cached${skipped.length ? ` · ${skipped.length} skipped` : ''}`, done, total: N0 });
  say(0, 'reading');
  for (let s = 0; s < N0; s += chunk) {
    check(input.signal);
    const part = images.slice(s, s + chunk);
    const read: { id: string; bytes: Uint8Array }[] = [];
    for (const f of part) {
      try {
        read.push({ id: f.path, bytes: await f.read() });
      } catch (e) {
        skipped.push({ name: f.path, reason: `could not be read (${(e as Error).message})` });
      }
    }
    // The ONNX teacher gets copies: embedFiles hands the bytes over to the worker.
    let tprobs: Map<string, Float32Array> | null = null;
    if (teacher.kind === 'onnx') {
      say(s, 'ONNX teacher');
      const r = await onnxRunner!(teacher, read.map((f) => ({ id: f.id, bytes: f.bytes.slice() })), { signal: input.signal });
      teacherLabels = r.labels;
      teacherDescription = r.description;
      const Ct = r.labels.length;
      const failed = new Set(r.errors.map((e) => e.id));
      tprobs = new Map();
      let k = 0;
      for (const f of read) if (!failed.has(f.id)) tprobs.set(f.id, r.probs.subarray(k * Ct, (k++ + 1) * Ct));
    }
    const res = await embedder.embedFiles(read, { grid: input.grid ?? 1, pad: input.pad ?? false, thumbnailSide: THUMBNAIL_SIDE }, {
      signal: input.signal,
      onProgress: (p) => say(s + Math.min(p.done, part.length)),
    });
    check(input.signal);
    cached += res.cached;
    if (res.ids.length) { R = res.R; D = res.D; }
    // The embed worker's messages start with the file's id; the list shows the name once.
    for (const e of res.errors) skipped.push({ name: e.id, reason: e.message.startsWith(`${e.id}: `) ? e.message.slice(e.id.length + 2) : e.message });
    for (const [k, id] of res.ids.entries()) {
      // This runs on the page's thread: give it back every 64 thumbnails (base64 of a chunk of 256 is a long task on a busy machine).
      if (k % 64 === 63) await yieldToPage();
      const probs = tprobs ? tprobs.get(id) ?? null : null;
      if (tprobs && !probs) { skipped.push({ name: id, reason: 'the ONNX teacher could not score it' }); continue; }
      const t = res.thumbnails?.[k];
      ok.push({ path: id, emb: res.embeddings.subarray(k * res.R * res.D, (k + 1) * res.R * res.D), thumb: t ? jpegDataUrl(t) : null, probs });
    }
    say(Math.min(N0, s + part.length));
  }
  if (!ok.length) throw new Error(`none of the ${N0} images could be used${skipped.length ? `; first problem: ${skipped[0].name}: ${skipped[0].reason}` : ''}`);
  ok.sort((a, b) => a.path.localeCompare(b.path));
  const N = ok.length;
  const data = new Float32Array(N * R * D);
  ok.forEach((o, i) => data.set(o.emb, i * R * D));
  const cls = classOf.size ? classes : [];
  const labels = classOf.size ? Int32Array.from(ok, (o) => classOf.get(o.path) ?? -1) : null;
  let choice: TeacherChoice = teacher;
  if (teacher.kind === 'onnx') {
    const Ct = teacherLabels!.length;
    const probs = new Float32Array(N * Ct);
    ok.forEach((o, i) => probs.set(o.probs!, i * Ct));
    choice = { kind: 'probabilities', classes: teacherLabels!, probs: { rows: N, cols: Ct, data: probs }, description: teacherDescription };
  }
  // An image whose thumbnail failed is drawn as a placeholder ('' = no URL).
  const thumbs = ok.some((o) => o.thumb) ? ok.map((o) => o.thumb ?? '') : null;
  const r = await buildProjectFromEmbeddings({
    ...input,
    embedder,
    ids: ok.map((o) => o.path),
    names: ok.map((o) => o.path),
    thumbs,
    embeddings: { N, R, D, data },
    classes: cls,
    labels,
    conceptText: null,
    teacher: choice,
    skipped,
  });
  return { ...r, notes: [...notes, ...r.notes] };
}

const IMAGE_FILE = /\.(png|jpe?g|gif|bmp|webp)$/i;

/**
 * Class names and each file's class: from a labels CSV (file name → label), else from the
 * file's sub-folder (a folder shared by every file, e.g. the one the user picked, is not a class).
 */
export function classesFor(paths: string[], csv: { name: string; text: string } | null): { classes: string[]; classOf: Map<string, number> } {
  const names = new Map<string, string>();
  if (csv) {
    const { labels, problems } = parseLabelsCsv(csv.text);
    if (problems.length) throw new Error(`${csv.name}: ${problems[0].replace(/^labels CSV /, '')}`);
    for (const p of paths) {
      const l = labels.get(p.split('/').pop()!);
      if (l) names.set(p, l);
    }
  } else {
    const rel = stripCommonRoot(paths);
    paths.forEach((p, k) => {
      const parts = rel[k].split('/');
      if (parts.length >= 2) names.set(p, parts[parts.length - 2]);
    });
  }
  const classes = [...new Set(names.values())].sort((a, b) => a.localeCompare(b));
  const at = new Map(classes.map((c, k) => [c, k]));
  return { classes, classOf: new Map([...names].map(([p, c]) => [p, at.get(c)!])) };
}
