/**
 * The store's action vocabulary. Every change goes through `commit(action)`; each action type
 * declares how history treats it (see {@link Capture}), so the rule lives in one table.
 */
import type { Ensemble } from '../core/types.ts';
import type { ActionType, Capture, Dataset, GalleryFilter, TuneProposal } from './types.ts';
import type { HistoryTree } from './history.ts';

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
  teacherChoice: 'current' | 'onnx' | 'zero-shot' | 'file' | 'labels';
}

export type StudioAction =
  /** A new project: resets the provenance tree to one root node. */
  | { type: 'load'; dataset: Dataset; ensemble: Ensemble; label: string }
  /** Quick edit of one weight (slider); consecutive edits with one mergeKey form one node. */
  | { type: 'quickEdit'; cls: number; concept: number; value: number; mergeKey: string }
  /** A refitted student (distill, tune, ban, remove) from the worker. */
  | { type: 'applyModel'; kind: ActionType; label: string; params: Record<string, unknown>; ensemble: Ensemble; dataset?: Dataset }
  /** Put a saved session back (after a reload): never recorded, it *is* the record. */
  | { type: 'hydrate'; dataset: Dataset; tree: HistoryTree; ui: UiState }
  /** Restore an earlier node: a new node with that node's weights; nothing is lost. */
  | { type: 'restore'; nodeId: string }
  | { type: 'undo' }
  | { type: 'redo' }
  /** Rename a concept: its name is only a label (concepts are keyed by index), so not recorded. */
  | { type: 'relabel'; concept: number; name: string }
  /** UI-only state: selection, filters, compare picks. */
  | { type: 'ui'; patch: Partial<UiState> };

export const CAPTURE: Record<StudioAction['type'], Capture | 'navigate'> = {
  load: 'record',
  hydrate: 'none',
  quickEdit: 'merge',
  applyModel: 'record',
  restore: 'record',
  undo: 'navigate',
  redo: 'navigate',
  relabel: 'none',
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
