/**
 * One zustand store made of slices (project + its core session, ui, jobs, tuning). Views read it through selectors
 * and change it only through `commit` (or the named helpers below, which end in `commit`).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Box, Ensemble } from '../core/types.ts';
import type { Session } from '../core/project/index.ts';
import type { LiveLogits } from '../core/tuning/liveLogits.ts';
import type { StudioAction, UiState } from './actions.ts';
import { initialUi } from './actions.ts';
import { commitAction } from './commit.ts';
import { DEFAULT_TRAINING } from './project.ts';
import { createJobsSlice, type JobsSlice } from './slices/jobs.ts';
import { createTuningSlice, type TuningSlice } from './slices/tuning.ts';
import { DEFAULT_SETTINGS, type Dataset, type ProjectSettings, type StudioMetrics, type Training } from './types.ts';

export interface ProjectSlice {
  dataset: Dataset | null;
  /** The core session: project state + provenance tree (state is always the head's). */
  session: Session | null;
  /** Tuning box each tune/restore/import node was fitted in (see project.ts `boxAt`). */
  boxes: Record<string, Box>;
  /** How refits are run (λ, members, seed, held-out share): the worker's and CLI's defaults. */
  training: Training;
  /** = session.state.ensemble (the served student, updated on every quick edit). */
  ensemble: Ensemble | null;
  /** Core live logits and predictions; mutated in place, `liveVersion` says when. */
  live: LiveLogits | null;
  liveVersion: number;
  metrics: StudioMetrics | null;
  /** Predictions as of the last recorded change (to report each move's flips). */
  headPred: Int32Array | null;
  /** The weight an open edit gesture (drag / key presses) is moving. */
  editing: { cls: number; concept: number } | null;
  /**
   * Bumped when the student has stopped changing: at once after a click-sized change, ~150 ms
   * after the last move of a drag. Secondary views (History, Compare) follow this instead of
   * liveVersion so a drag only re-renders what the drag changes.
   */
  settled: number;
  /** Settings for future embeddings (pad to square), saved with the project. */
  settings: ProjectSettings;
  env: EnvInfo;
}

/** What the app found about the machine and the model registry (state may not import ml/). */
export interface EnvInfo {
  /** `dim`: the embedding size D when the registry knows it (precomputed embeddings are matched to a model by it). */
  models: { id: string; label: string; source: 'bundled' | 'hub'; sizeMB: number | null; goodFor: string; dim?: number | null }[];
  modelId: string;
  device: { device: string; dtype: string; reason: string } | null;
  engine: string;
  demoAvailable: boolean;
}

export interface UiSlice {
  ui: UiState;
}

export interface CoreActions {
  commit: (action: StudioAction) => void;
  /** Shorthand for a UI-only commit. */
  setUi: (patch: Partial<UiState>) => void;
  announce: (text: string) => void;
  /** Facts about the machine and model choice (not project state, never recorded). */
  setEnv: (patch: Partial<EnvInfo>) => void;
}

export type StudioState = ProjectSlice & UiSlice & JobsSlice & TuningSlice & CoreActions;
export type StudioStore = StoreApi<StudioState>;

export interface StoreOptions {
  /** Called (debounced) after every commit with the new state; persistence plugs in here. */
  save?: (s: StudioState) => void | Promise<void>;
  /** Quiet time before a save (default 600 ms). */
  saveDelayMs?: number;
  /**
   * Longest a committed change waits for its save while changes keep coming (a long drag):
   * default 800 ms, so every change is on its way to IndexedDB within a second.
   */
  saveMaxWaitMs?: number;
}

export function createStudioStore(opts: StoreOptions = {}): StudioStore {
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** When the oldest change not yet handed to `save` was committed. */
  let pendingSince: number | null = null;
  return createStore<StudioState>()((set, get, api) => {
    const scheduleSave = () => {
      if (!opts.save) return;
      if (timer) clearTimeout(timer);
      const now = Date.now();
      pendingSince ??= now;
      const wait = Math.max(0, Math.min(opts.saveDelayMs ?? 600, pendingSince + (opts.saveMaxWaitMs ?? 800) - now));
      timer = setTimeout(() => {
        timer = null;
        pendingSince = null;
        void opts.save?.(get());
      }, wait);
    };
    let settleTimer: ReturnType<typeof setTimeout> | null = null;
    const settle = () => {
      settleTimer = null;
      set({ settled: get().settled + 1 });
    };
    const commit = (action: StudioAction) => {
      const before = get();
      commitAction(set, get, action, scheduleSave);
      const after = get();
      if (after.liveVersion === before.liveVersion && after.session === before.session && after.dataset === before.dataset) return;
      if (settleTimer) clearTimeout(settleTimer);
      if (action.type === 'quickEdit' || action.type === 'beginEdit') settleTimer = setTimeout(settle, 150);
      else settle();
    };
    return {
      dataset: null,
      session: null,
      boxes: {},
      training: DEFAULT_TRAINING,
      ensemble: null,
      live: null,
      liveVersion: 0,
      metrics: null,
      headPred: null,
      editing: null,
      settled: 0,
      settings: DEFAULT_SETTINGS,
      env: { models: [], modelId: '', device: null, engine: 'main thread', demoAvailable: false },
      ui: initialUi(),
      commit,
      setUi: (patch) => commit({ type: 'ui', patch }),
      announce: (text) => commit({ type: 'ui', patch: { announce: text } }),
      setEnv: (patch) => set({ env: { ...get().env, ...patch } }),
      ...createJobsSlice(set, get, api),
      ...createTuningSlice(set, get, api),
    };
  });
}
