/**
 * The bridge between the studio's dataset (images, activations, teacher, split) and the core
 * project session (student, provenance). Everything numeric is computed by core: metrics by
 * core/metrics, live predictions by core/tuning's LiveLogits, states by core/project.
 */
import type { Box, Ensemble, LinearModel, Metrics } from '../core/types.ts';
import { computeMetrics, confusionMatrix, misalignedSubset } from '../core/metrics/index.ts';
import { LiveLogits, type LiveLogitsState } from '../core/tuning/liveLogits.ts';
import { freeBox } from '../core/tuning/bounds.ts';
import { createHistory, metricsAt, type HistoryNode, type Flip } from '../core/history/index.ts';
import { emptyProject, type ProjectState, type Session } from '../core/project/index.ts';
import { DEFAULT_LAMBDA } from '../core/student/fit.ts';
import { DEFAULT_HOLDOUT, DEFAULT_MEMBERS } from '../core/pipeline/distill.ts';
import type { Dataset, StudioMetrics, Training } from './types.ts';
import { defaultOodSettings } from './ood.ts';

/** The settings every refit in the studio uses (the worker's and the CLI's defaults). */
export const DEFAULT_TRAINING: Training = { lambda: DEFAULT_LAMBDA, members: DEFAULT_MEMBERS, seed: 0, heldOutFraction: DEFAULT_HOLDOUT };

/** Core's project state for a dataset and a student. */
export function projectStateFor(ds: Dataset, ensemble: Ensemble | null, metrics: Metrics | null): ProjectState {
  const base = emptyProject(ds.classes.map((name) => ({ name })), ds.concepts.map((name) => ({ name })));
  const state: ProjectState = { ...base, conceptText: ds.conceptText ?? null, stats: ds.stats, ensemble, teacher: { kind: 'file', name: ds.teacherDescription }, metrics };
  // A dataset that can be scored for unfamiliar images starts with the default flag (95 % of
  // held-out images pass), recorded in the load step, so badges and exports carry it from the start.
  const ood = defaultOodSettings(ds, null, 'mcm');
  return ood ? { ...state, calibration: { ...state.calibration, ood } } : state;
}

/** A new session whose root holds the loaded student (the root is the "load" step). */
export function sessionFor(ds: Dataset, ensemble: Ensemble, metrics: Metrics, label: string, time = Date.now()): Session {
  const state = projectStateFor(ds, ensemble, metrics);
  return { state, history: createHistory(state, time, label) };
}

/**
 * Live logits for a model over the dataset; live metrics count the held-out split. `computed`:
 * the same logits computed off the UI thread (the train worker) over this very Â, adopted when
 * they are of exactly this model — else (or without it) computed here, O(N·M·C).
 */
export function liveFor(ds: Dataset, model: LinearModel, computed?: { ahat: Float32Array; state: LiveLogitsState } | null): LiveLogits {
  return new LiveLogits({ rows: ds.N, cols: ds.M, data: ds.ahat }, model, {
    teacher: ds.teacherPred,
    truth: ds.labels,
    evalRows: ds.split.heldOut,
  }, computed && computed.ahat === ds.ahat ? computed.state : null);
}

/** Core metrics of predictions on the held-out split. */
export function heldOutMetrics(ds: Dataset, pred: Int32Array): Metrics {
  return computeMetrics(pred, ds.teacherPred, ds.C, ds.labels, ds.split.heldOut);
}

/** Held-out metrics plus the confusion matrices and misaligned count the views draw. */
export function studioMetrics(ds: Dataset, pred: Int32Array): StudioMetrics {
  const rows = ds.split.heldOut;
  return {
    ...heldOutMetrics(ds, pred),
    confTeacher: confusionMatrix(pred, ds.teacherPred, ds.C, rows).counts,
    confTruth: ds.labels ? confusionMatrix(pred, ds.labels, ds.C, rows).counts : null,
    misaligned: misalignedSubset(pred, ds.teacherPred, rows).length,
  };
}

/** Plain core metrics (no confusion arrays) for provenance nodes and exports. */
export function plainMetrics(m: StudioMetrics): Metrics {
  return { fidelity: m.fidelity, accuracy: m.accuracy, n: m.n, perClass: m.perClass };
}

/** Held-out images whose prediction differs between two prediction vectors (as the CLI reports them). */
export function heldOutFlips(ds: Dataset, before: Int32Array, after: Int32Array): Flip[] {
  const out: Flip[] = [];
  for (const i of ds.split.heldOut) if (before[i] !== after[i]) out.push({ image: i, from: before[i], to: after[i] });
  return out.sort((a, b) => a.image - b.image);
}

/** Metrics in force at a node (its own, else the nearest ancestor's, else the root state's). */
export function nodeMetrics(s: Session, id: string): Metrics | null {
  return metricsAt(s.history, id) ?? (id === s.history.rootId ? s.history.root.metrics : null) ?? s.history.root.metrics;
}

/** Nodes in creation order (the tree's stable drawing order). */
export function nodesInOrder(s: Session): HistoryNode[] {
  return Object.values(s.history.nodes).sort((a, b) => a.seq - b.seq);
}

export function canUndo(s: Session): boolean {
  return s.history.nodes[s.history.head]?.parentId != null;
}

export function canRedo(s: Session): boolean {
  const head = s.history.head;
  return Object.values(s.history.nodes).some((n) => n.parentId === head);
}

/**
 * The tuning box in force at a node: tune/ban/remove nodes record the box they refitted with;
 * other nodes inherit their parent's. A fresh distillation starts free again.
 */
export function boxAt(s: Session, boxes: Record<string, Box>, id: string, C: number, M: number): Box {
  for (let cur: string | null = id; cur; cur = s.history.nodes[cur]?.parentId ?? null) {
    if (boxes[cur]) return boxes[cur];
  }
  return freeBox(C, M);
}
