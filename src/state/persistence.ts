/**
 * What an autosave holds and how it comes back (DESIGN.md "Persistence"): the provenance tree
 * with its weight snapshots, the UI state, and the dataset — rebuilt from its seed when it is
 * synthetic, stored as arrays otherwise. Versioned and checked before anything is replaced.
 */
import type { UiState } from './actions.ts';
import { initialUi } from './actions.ts';
import { makeSyntheticProject } from './demoSynthetic.ts';
import type { HistoryTree } from './history.ts';
import type { StudioState } from './store.ts';
import type { Dataset } from './types.ts';

export const SAVE_VERSION = 1;

export interface SavedStudioV1 {
  dataset: Dataset | null;
  synthetic: { seed: number; N: number; M: number } | null;
  conceptNames: string[];
  tree: HistoryTree;
  ui: UiState;
}

export function toSaved(s: StudioState): SavedStudioV1 | null {
  const ds = s.dataset;
  if (!ds || !s.tree.head) return null;
  const synthetic = ds.source.kind === 'synthetic' ? { seed: ds.source.seed, N: ds.source.N, M: ds.source.M } : null;
  // Transient UI bits (announcements, an import preview) do not survive a reload.
  const ui = { ...s.ui, announce: '', importPreview: null, proposal: null };
  return { dataset: synthetic ? null : ds, synthetic, conceptNames: ds.concepts, tree: s.tree, ui };
}

/** Rebuild what `toSaved` wrote, or explain why not. */
export function fromSaved(version: number, payload: unknown): { dataset: Dataset; tree: HistoryTree; ui: UiState } | { error: string } {
  if (version !== SAVE_VERSION) return { error: `saved project has version ${version}; this studio reads ${SAVE_VERSION}` };
  const p = payload as Partial<SavedStudioV1> | null;
  if (!p || typeof p !== 'object' || !p.tree || !p.tree.head || !p.tree.nodes) return { error: 'saved project has no history' };
  let dataset: Dataset;
  if (p.synthetic) dataset = makeSyntheticProject(p.synthetic).dataset;
  else if (p.dataset && p.dataset.ahat instanceof Float32Array) dataset = p.dataset;
  else return { error: 'saved project has no dataset' };
  if (Array.isArray(p.conceptNames) && p.conceptNames.length === dataset.M) dataset = { ...dataset, concepts: p.conceptNames.map(String) };
  const { C, M } = dataset;
  for (const id of p.tree.order ?? []) {
    const n = p.tree.nodes[id];
    if (!n || !(n.snapshot?.W instanceof Float32Array) || n.snapshot.W.length !== C * M || n.snapshot.b.length !== C) {
      return { error: `saved history step ${id} does not match the dataset (${C} classes × ${M} concepts)` };
    }
  }
  if (!p.tree.nodes[p.tree.head]) return { error: 'saved history points at a missing step' };
  const ui = { ...initialUi(), ...(p.ui ?? {}) };
  if (ui.cls >= C) ui.cls = 0;
  if (ui.image != null && ui.image >= dataset.N) ui.image = null;
  return { dataset, tree: p.tree, ui };
}
