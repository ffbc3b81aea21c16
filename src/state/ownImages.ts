/**
 * "Build a project from your own images" as the Project view drives it: what the user picked
 * (a folder, a zip, or files with a labels CSV; the corpus; the teacher's files), and the build
 * job (progress, cancel, the announcement). Not project state: never recorded or saved. The open
 * project stays until the new one is ready; a failed or cancelled build changes nothing.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { CancelledError } from '../core/types.ts';
import { readImageZip, type ImageZipResult } from '../data/project/imageZip.ts';
import { buildProjectFromImages, type ImageFileRef, type TeacherChoice } from './buildProject.ts';
import { scanImport, type ImportPreview } from './importScan.ts';
import type { StudioStore } from './store.ts';
import { fmtPct } from './format.ts';

export interface NamedText { name: string; text: string }
export type RegionGrid = 1 | 2 | 3;

/** The region choices offered for own images, with their cost in plain words (R model runs per image). */
export const REGION_CHOICES: { grid: RegionGrid; label: string }[] = [
  { grid: 1, label: 'Whole image only (fastest)' },
  { grid: 2, label: 'Whole + 2×2 crops (5× the time)' },
  { grid: 3, label: 'Whole + 3×3 crops (10× the time)' },
];
export interface NamedBytes { name: string; bytes: Uint8Array }

/** The built-in corpora (public/corpora/) and the default for own images. */
export const BUILT_IN_CORPORA = [
  { file: 'general.txt', label: 'General (726 concepts)' },
  { file: 'inspection.txt', label: 'Inspection line (124)' },
] as const;

export interface OwnImagesState {
  source: { kind: ImportPreview['source']; name: string; files: ImageFileRef[]; csv: NamedText | null } | null;
  /** A built-in corpus file name, or a corpus the user imported. */
  corpus: string | { name: string; concepts: string[] };
  onnxModel: NamedBytes | null;
  onnxLabels: NamedText | null;
  predictions: NamedText | null;
  /** The user agreed to download the chosen hub model. */
  allowDownload: boolean;
  /** Regions per image (METHODS.md §1): 1 = full image; 2 / 3 = plus a 2×2 / 3×3 overlapping grid. */
  grid: RegionGrid;
  phase: 'idle' | 'building' | 'done' | 'error' | 'cancelled';
  message: string;
  skipped: { name: string; reason: string }[];
  notes: string[];
}

const initial = (): OwnImagesState => ({
  source: null, corpus: 'general.txt', onnxModel: null, onnxLabels: null, predictions: null, allowDownload: false, grid: 1,
  phase: 'idle', message: '', skipped: [], notes: [],
});

export const ownImages = createStore<OwnImagesState>()(initial);
export const useOwnImages = <T,>(sel: (s: OwnImagesState) => T): T => useStore(ownImages, sel);
export const setOwnImages = (patch: Partial<OwnImagesState>) => ownImages.setState(patch);

/**
 * A picked file as the UI has it (File in a browser): its path inside the picked folder, its bytes,
 * and `size` only when it is known without asking the disk (in Chromium the
 * first read of a picked File's size, or posting the File to a worker, stats the disk
 * synchronously on the page's thread: 0.2–0.5 ms per file, 120–280 ms for a 256-file folder).
 * Without it the preview cannot name empty files; the build does (the decoder refuses them by name).
 */
export interface PickedFile { name: string; path: string; size?: number; bytes(): Promise<Uint8Array>; text(): Promise<string> }

/** Corpus text: "concept<TAB>category" or "concept,category" per line; # comments and blank lines skipped. */
export function parseCorpusText(text: string): string[] {
  return text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.replace(/#.*/, '').split(/\t|,/)[0].trim()).filter(Boolean);
}

/** A folder (class sub-folders) or loose files with an optional labels CSV: remember them and show the preview. */
export async function pickFiles(store: StudioStore, files: PickedFile[], kind: 'folder' | 'files'): Promise<void> {
  const seq = ++pickSeq;
  const csvFile = files.find((f) => /\.csv$/i.test(f.name));
  const csv = csvFile ? { name: csvFile.name, text: await csvFile.text() } : null;
  if (seq !== pickSeq) return;
  const rest = files.filter((f) => f !== csvFile);
  const name = kind === 'folder' ? (rest[0]?.path.split('/')[0] || 'My images') : 'My images';
  setOwnImages({ source: { kind, name, files: rest.map((f) => ({ path: f.path, read: () => f.bytes() })), csv }, phase: 'idle', message: '', skipped: [], notes: [] });
  store.getState().setUi({ importPreview: scanImport(rest.map((f) => ({ path: f.path, size: f.size })), kind, csv?.text) });
}

/** How a zip of images is unpacked: inline here (Node); the app installs a worker (workers/imageZipClient.ts). */
export type ImageZipReader = (bytes: Uint8Array, zipName: string) => Promise<ImageZipResult>;
let zipReader: ImageZipReader = async (bytes, zipName) => readImageZip(bytes, zipName);
export function setImageZipReader(r: ImageZipReader): void {
  zipReader = r;
}
/** Bumped by every pick: a zip that finishes unpacking after the user picked something else is dropped. */
let pickSeq = 0;

/** A zip of images (class folders, or images plus one labels CSV), read with the project zip's guards. */
export async function pickZip(store: StudioStore, file: PickedFile): Promise<void> {
  const seq = ++pickSeq;
  store.getState().setUi({ importPreview: { source: 'zip', images: 0, skipped: 0, classes: [], unlabelled: 0, problems: [], unpacking: file.name } });
  let r: ImageZipResult;
  try {
    r = await zipReader(await file.bytes(), file.name);
  } catch (e) {
    r = { ok: false, error: `${file.name}: could not be read (${(e as Error)?.message ?? e})` };
  }
  if (seq !== pickSeq) return;
  if (!r.ok) {
    store.getState().setUi({ importPreview: { source: 'zip', images: 0, skipped: 0, classes: [], unlabelled: 0, problems: [r.error] } });
    return;
  }
  const csv = r.csv ? { name: r.csv.path, text: new TextDecoder().decode(r.csv.bytes) } : null;
  const files = r.images.map((e) => ({ path: e.path, read: async () => e.bytes.slice() }));
  setOwnImages({ source: { kind: 'zip', name: file.name.replace(/\.zip$/i, ''), files, csv }, phase: 'idle', message: '', skipped: [], notes: [] });
  const preview = scanImport(r.images.map((e) => ({ path: e.path, size: e.bytes.length })), 'zip', csv?.text);
  store.getState().setUi({ importPreview: { ...preview, skipped: preview.skipped + r.ignored } });
}

async function corpusFor(s: OwnImagesState): Promise<{ name: string; concepts: string[] }> {
  if (typeof s.corpus !== 'string') return s.corpus;
  const r = await fetch(`corpora/${s.corpus}`);
  if (!r.ok) throw new Error(`corpora/${s.corpus}: HTTP ${r.status}`);
  return { name: s.corpus, concepts: parseCorpusText(await r.text()) };
}

/** The Teacher section's choice as a build teacher; a sentence for the user when something is missing. */
export function teacherFor(choice: string, s: OwnImagesState): TeacherChoice | string {
  switch (choice) {
    case 'zero-shot': return { kind: 'zero-shot' };
    case 'onnx':
      if (!s.onnxModel || !s.onnxLabels) return 'Pick the ONNX model and its labels file (Teacher section) first.';
      return { kind: 'onnx', modelName: s.onnxModel.name, model: s.onnxModel.bytes, labelsName: s.onnxLabels.name, labelsText: s.onnxLabels.text };
    case 'file':
      if (!s.predictions) return 'Pick the predictions file (Teacher section) first.';
      return { kind: 'file', fileName: s.predictions.name, text: s.predictions.text };
    default: return { kind: 'labels' };
  }
}

/** Build the project in a job; commits it as a new project when ready. */
export async function buildOwnProject(store: StudioStore): Promise<void> {
  const o = ownImages.getState();
  const st = store.getState();
  if (!o.source || o.phase === 'building') return;
  const teacher = teacherFor(st.ui.teacherChoice, o);
  if (typeof teacher === 'string') { setOwnImages({ phase: 'error', message: teacher }); return; }
  const modelId = st.env.modelId;
  const hub = st.env.models.find((m) => m.id === modelId)?.source === 'hub';
  if (hub && !o.allowDownload) { setOwnImages({ phase: 'error', message: 'The chosen model is downloaded from the Hugging Face hub: tick "Download it" first, or choose a bundled model.' }); return; }
  setOwnImages({ phase: 'building', message: '', skipped: [], notes: [] });
  const job = st.startJob(`Build a project from ${o.source.files.length.toLocaleString('en')} images`);
  try {
    const corpus = await corpusFor(o);
    const r = await buildProjectFromImages({
      name: o.source.name, files: o.source.files, labelsCsv: o.source.csv, corpus, modelId, teacher, grid: o.grid,
      pad: st.settings.padToSquare, allowDownload: o.allowDownload, training: store.getState().training,
      onProgress: job.progress, signal: job.signal,
    });
    store.getState().commit({ type: 'load', dataset: r.dataset, ensemble: r.ensemble, label: r.label, settings: store.getState().settings });
    const ds = r.dataset;
    const msg = `Built ${ds.name}: ${ds.N.toLocaleString('en')} images, ${ds.C} classes, ${ds.M} concepts; fidelity ${fmtPct(r.metrics.fidelity)} on ${r.metrics.n} held-out images`
      + `${r.skipped.length ? `; ${r.skipped.length} file(s) skipped` : ''}.`;
    // The picked files are let go (a zip's bytes can be large); a failed or cancelled build keeps them for a retry.
    setOwnImages({ phase: 'done', message: msg, skipped: r.skipped, notes: r.notes, source: null });
    job.finish(msg);
    store.getState().setUi({ importPreview: null, announce: msg });
  } catch (e) {
    const cancelled = e instanceof CancelledError || job.signal.aborted;
    const msg = cancelled ? 'Build cancelled. Your current project is unchanged.' : `The project could not be built: ${(e as Error)?.message ?? e}. Your current project is unchanged.`;
    setOwnImages({ phase: cancelled ? 'cancelled' : 'error', message: msg });
    job.finish(msg);
  }
}

/** Forget the picked images (after a build, or on Dismiss). */
export function clearOwnImages(store: StudioStore): void {
  setOwnImages({ source: null, phase: 'idle', message: '', skipped: [], notes: [] });
  store.getState().setUi({ importPreview: null });
}
