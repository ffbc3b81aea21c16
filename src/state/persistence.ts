/**
 * What an autosave holds and how it comes back (DESIGN.md "Persistence"): the core session
 * (state + provenance tree with its snapshots + head), the tuning box per node, the UI state
 * and the dataset — rebuilt from its seed when it is synthetic, stored as arrays otherwise.
 * Versioned and checked before anything is replaced.
 */
import type { Box } from '../core/types.ts';
import { checkTree } from '../core/history/query.ts';
import { ensembleShapeError, type Session } from '../core/project/index.ts';
import type { UiState } from './actions.ts';
import { initialUi } from './actions.ts';
import { makeSyntheticProject } from './demoSynthetic.ts';
import type { StudioState } from './store.ts';
import { DEFAULT_SETTINGS, type Dataset, type ProjectSettings, type Training } from './types.ts';
import { DEFAULT_TRAINING } from './project.ts';

/** v1 held the studio's own stand-in tree; v2 holds the core session. */
export const SAVE_VERSION = 2;

export interface SavedStudioV2 {
  dataset: Dataset | null;
  synthetic: { seed: number; N: number; M: number } | null;
  session: Session;
  boxes: Record<string, Box>;
  training: Training;
  ui: UiState;
  /** Added after v2 shipped; absent = defaults. */
  settings?: ProjectSettings;
}

export function toSaved(s: StudioState): SavedStudioV2 | null {
  const ds = s.dataset;
  if (!ds || !s.session) return null;
  const synthetic = ds.source.kind === 'synthetic' ? { seed: ds.source.seed, N: ds.source.N, M: ds.source.M } : null;
  // Transient UI bits (announcements, an import preview) do not survive a reload.
  const ui = { ...s.ui, announce: '', importPreview: null, proposal: null };
  // An open drag is saved as if it had ended (the group is gesture state, not history).
  const session = s.session.history.group ? { ...s.session, history: { ...s.session.history, group: null } } : s.session;
  return { dataset: synthetic ? null : ds, synthetic, session, boxes: s.boxes, training: s.training, ui, settings: s.settings };
}

export type Restored = { dataset: Dataset; session: Session; boxes: Record<string, Box>; training: Training; ui: UiState; settings: ProjectSettings };

const finiteF32 = (a: unknown): a is Float32Array => a instanceof Float32Array && a.every(Number.isFinite);

/**
 * The first problem with a dataset's image model, concept text and image embeddings (all
 * optional) and the session's concept text, or null. A model needs M×D concept text; image
 * embeddings need N×R×D numbers of the same D.
 */
export function embeddingProblem(ds: Dataset, sessionText: Dataset['conceptText']): string | null {
  const m = ds.imageModel;
  const D = m?.embeddingDim;
  if (m != null) {
    if (typeof m !== 'object' || typeof m.id !== 'string' || !m.id) return 'dataset.imageModel.id is not a model id';
    if (!Number.isInteger(D) || D! <= 0) return `dataset.imageModel.embeddingDim is ${String(D)}, not a positive integer`;
    const pp = m.preprocessing;
    const three = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!pp || !(Number.isInteger(pp.size) && pp.size > 0) || !['center', 'none'].includes(pp.crop) || !three(pp.mean) || !three(pp.std)
      || !['bicubic', 'bilinear', 'nearest'].includes(pp.resample) || typeof pp.padToSquare !== 'boolean') {
      return 'dataset.imageModel.preprocessing is incomplete (size, crop, mean, std, resample, padToSquare)';
    }
  }
  const mats: [string, Dataset['conceptText']][] = [['dataset.conceptText', ds.conceptText], ['session.state.conceptText', sessionText]];
  for (const [what, t] of mats) {
    if (t == null) continue;
    if (!finiteF32(t.data)) return `${what} is not an array of finite float32 numbers`;
    if (t.rows !== ds.M || !(t.cols > 0) || t.data.length !== t.rows * t.cols) return `${what} is ${t.rows}×${t.cols} (${t.data.length} values), expected ${ds.M}×D`;
    if (D != null && t.cols !== D) return `${what} has ${t.cols} dimensions but the model ${m!.id} has ${D}`;
  }
  if (ds.conceptText && !m) return 'dataset.conceptText is there without dataset.imageModel';
  const e = ds.imageEmbeddings;
  if (e != null) {
    if (D == null) return 'dataset.imageEmbeddings are there without dataset.imageModel';
    if (!finiteF32(e.data)) return 'dataset.imageEmbeddings is not an array of finite float32 numbers';
    if (e.D !== D || !Number.isInteger(e.R) || e.R < 1 || e.data.length !== ds.N * e.R * e.D) {
      return `dataset.imageEmbeddings has ${e.data.length} values for ${ds.N} images × ${e.R} regions × ${e.D}, expected D = ${D}`;
    }
  }
  return null;
}

/**
 * Rebuild what `toSaved` wrote, or explain why not. Never throws: the payload comes from a file or
 * from IndexedDB, and a shape the checks below did not foresee is reported as damage too.
 */
export function fromSaved(version: number, payload: unknown): Restored | { error: string } {
  try {
    return restore(version, payload);
  } catch (e) {
    return { error: `saved project is damaged (${e instanceof Error ? e.message : String(e)})` };
  }
}

function restore(version: number, payload: unknown): Restored | { error: string } {
  if (version !== SAVE_VERSION) return { error: `saved project has version ${version}; this studio reads ${SAVE_VERSION}` };
  const p = payload as Partial<SavedStudioV2> | null;
  if (!p || typeof p !== 'object' || !p.session?.history?.nodes || !p.session.state) return { error: 'saved project has no history' };
  let dataset: Dataset;
  if (p.synthetic) dataset = makeSyntheticProject(p.synthetic).dataset;
  else if (p.dataset && p.dataset.ahat instanceof Float32Array) dataset = p.dataset;
  else return { error: 'saved project has no dataset' };
  const session = p.session;
  const problems = checkTree(session.history);
  if (problems.length) return { error: `saved history is damaged: ${problems[0]}` };
  const st = session.state;
  const { C, M } = dataset;
  if (!Array.isArray(st.classes) || !Array.isArray(st.concepts)) return { error: 'saved student has no class or concept list' };
  if (typeof st.calibration !== 'object' || st.calibration === null) return { error: 'saved student has no calibration settings' };
  if (st.classes.length !== C || st.concepts.length !== M) {
    return { error: `saved student has ${st.classes.length} classes × ${st.concepts.length} concepts but the dataset has ${C} × ${M}` };
  }
  const bad = st.ensemble ? ensembleShapeError(st.ensemble, C, M) : null;
  if (bad) return { error: `saved student does not fit the dataset: ${bad}` };
  const emb = embeddingProblem(dataset, st.conceptText ?? null);
  if (emb) return { error: `saved project: ${emb}` };
  const ui = { ...initialUi(), ...(p.ui ?? {}) };
  if (ui.cls >= C) ui.cls = 0;
  if (ui.image != null && ui.image >= dataset.N) ui.image = null;
  if (ui.historySel && !session.history.nodes[ui.historySel]) ui.historySel = null;
  if (ui.historyCompare && !session.history.nodes[ui.historyCompare]) ui.historyCompare = null;
  const settings = p.settings && typeof p.settings.padToSquare === 'boolean' && Array.isArray(p.settings.log) ? p.settings : DEFAULT_SETTINGS;
  return { dataset, session, boxes: p.boxes ?? {}, training: p.training ?? DEFAULT_TRAINING, ui, settings };
}
