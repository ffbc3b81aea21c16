/**
 * The store's action vocabulary. Every change goes through `commit(action)`; each action type
 * declares how history treats it (see {@link CAPTURE}), so the rule lives in one table.
 */
import type { Box, Ensemble } from '../core/types.ts';
import type { CaptureMode } from '../core/history/types.ts';
import type { ProjectAction, Session } from '../core/project/index.ts';
import type { Dataset, GalleryFilter, Training, TuneProposal } from './types.ts';
import type { LiveLogitsState } from '../core/tuning/liveLogits.ts';

/** Live logits of a refitted student computed off the UI thread, over the Â they were computed on (adopted only if it is still the dataset's). */
export interface LiveFromWorker {
  ahat: Float32Array;
  state: LiveLogitsState;
}

export interface UiState {
  /** Selected class (Concepts view, heatmap row). */
  cls: number;
  /** Selected concept (evidence), or null. */
  concept: number | null;
  /** Image open in the detail pane, or null. */
  image: number | null;
  filter: GalleryFilter;
  heldOutOnly: boolean;
  heatSort: 'index' | 'name' | 'weight' | 'spread';
  heatQuery: string;
  /** Hide concepts whose weight is 0 in every class. */
  heatNonZero: boolean;
  compare: { a: number | null; b: number | null; mode: 'images' | 'classes'; cls: number; c1: number; c2: number };
  proposal: TuneProposal | null;
  historySel: string | null;
  historyCompare: string | null;
  tuneFactor: number;
  /** Text of the polite live region. */
  announce: string;
  /** Concepts typed or imported but not embedded yet (applied at the next distillation). */
  corpusPending: string[];
  /** Concepts the hygiene report dropped that the user chose to keep. */
  hygieneKept: number[];
  importPreview: import('./importScan.ts').ImportPreview | null;
  teacherChoice: 'current' | 'onnx' | 'zero-shot' | 'file' | 'labels' | 'http';
}

export type StudioAction =
  /** A new project: a new session whose root holds the loaded student. */
  | { type: 'load'; dataset: Dataset; ensemble: Ensemble; label: string; settings?: import('./types.ts').ProjectSettings }
  /** Put a saved session back (after a reload): never recorded, it *is* the record. */
  | { type: 'hydrate'; dataset: Dataset; session: Session; boxes: Record<string, Box>; training: Training; ui: UiState; settings?: import('./types.ts').ProjectSettings }
  /** Pointer-down (or first key press) on a weight slider: opens one history group. */
  | { type: 'beginEdit'; cls: number; concept: number }
  /** Quick edit of one weight; inside an open edit group all moves become one node. */
  | { type: 'quickEdit'; cls: number; concept: number; value: number }
  /** Pointer-up / blur: closes the group. */
  | { type: 'endEdit' }
  /**
   * A refitted or imported student: the core project action carrying it (distill, tune,
   * importStudent), the tuning box it was fitted in, and a new split/standardisation if any.
   */
  | { type: 'refit'; actions: Extract<ProjectAction, { type: 'distill' | 'tune' | 'importStudent' | 'teacherChange' }>[]; box: Box; dataset?: Dataset; live?: LiveFromWorker }
  /** Restore an earlier node: a new node with that node's state; nothing is lost. */
  | { type: 'restore'; nodeId: string }
  | { type: 'undo' }
  | { type: 'redo' }
  /** Rename a concept: recorded (it changes what the export calls the concept). */
  | { type: 'relabel'; concept: number; name: string }
  /** A project setting for future embeddings (pad to square): saved and logged, the student is unchanged. */
  | { type: 'settings'; patch: Partial<Omit<import('./types.ts').ProjectSettings, 'log'>> }
  /** The OOD flag's settings (score, τ, threshold λ): a recorded calibrationChange (the panel commits a threshold drag once, on release). */
  | { type: 'oodSettings'; ood: import('../core/project/index.ts').OodSettings | null }
  /** Domain calibration (prompts, statistics, mode): a recorded calibration change that restandardises every image. */
  | { type: 'domainSettings'; domain: import('../core/project/index.ts').DomainSettings | null }
  /** UI-only state: selection, filters, compare picks. Never recorded, never clears redo. */
  | { type: 'ui'; patch: Partial<UiState> };

/**
 * How each store action meets history (STYLE.md habit 7), in core's capture vocabulary, plus
 * `navigate` for head moves that record nothing. Project actions keep core's own CAPTURE table.
 */
export const CAPTURE: Record<StudioAction['type'], CaptureMode | 'navigate'> = {
  load: 'recorded',
  hydrate: 'none',
  beginEdit: 'none',
  quickEdit: 'merged',
  endEdit: 'none',
  refit: 'recorded',
  restore: 'recorded',
  undo: 'navigate',
  redo: 'navigate',
  relabel: 'recorded',
  settings: 'recorded',
  oodSettings: 'recorded',
  domainSettings: 'recorded',
  ui: 'none',
};

export const initialUi = (): UiState => ({
  cls: 0,
  concept: null,
  image: null,
  filter: { kind: 'all' },
  heldOutOnly: false,
  heatSort: 'index',
  heatQuery: '',
  heatNonZero: false,
  compare: { a: null, b: null, mode: 'images', cls: 0, c1: 0, c2: 1 },
  proposal: null,
  historySel: null,
  historyCompare: null,
  tuneFactor: 2,
  announce: '',
  corpusPending: [],
  hygieneKept: [],
  importPreview: null,
  teacherChoice: 'current',
});
