/**
 * The project's student state and the actions that change it (DESIGN.md "State and history").
 * Classes and concepts are keyed by their index in these arrays, never by name (METHODS §2).
 */

import type { ConceptStats, Ensemble, Mat, Metrics } from '../types.ts';
import type { CaptureMode, Flip } from '../history/types.ts';

/** One class of the student; `prompt` is the text used for CLIP-based teachers and MCM. */
export interface ClassInfo {
  name: string;
  prompt?: string;
}

/** One named concept; `category` is optional grouping for the UI ("colour", "texture"…). */
export interface ConceptInfo {
  name: string;
  category?: string;
}

/** Where the teacher's probabilities come from (METHODS §3). */
export type TeacherKind = 'onnx' | 'zero-shot' | 'file' | 'http' | 'labels';

/** A description of the teacher, safe to export (never URLs' secrets or headers). */
export interface TeacherInfo {
  kind: TeacherKind;
  name: string;
  description?: string;
}

/** Which MCM score flags out-of-distribution images (METHODS §8). */
export type OodScoreKind = 'mcm' | 'mcm-student';

/** OOD settings: score kind, softmax temperature τ, threshold λ and the n it was set on. */
export interface OodSettings {
  score: OodScoreKind;
  tau: number;
  threshold: number;
  calibrationN: number;
}

/** Domain-aware concept calibration mode (METHODS §8). */
export type DomainMode = 'off' | 'source' | 'test-time';

/** One domain: its prompt, the prompt's text embedding (D) and per-concept statistics (M each). */
export interface DomainStats {
  prompt: string;
  textEmbedding: Float32Array;
  mu: Float32Array;
  sigma: Float32Array;
}

/** Domain calibration: mode, the posterior temperature (0.01 in METHODS) and the domains. */
export interface DomainSettings {
  mode: DomainMode;
  temperature: number;
  domains: DomainStats[];
}

export interface Calibration {
  ood: OodSettings | null;
  domain: DomainSettings | null;
}

/** The tune operations of METHODS §5. */
export type TuneOp = 'uptune' | 'downtune' | 'remove' | 'ban';

/**
 * One tuning bound the user asked for. Bounds accumulate (a later refit keeps earlier ones);
 * the tuning code turns them into a Box using the weights at the time of the request.
 */
export interface TuneConstraint {
  op: TuneOp;
  /** Class index, or 'all' classes. */
  class: number | 'all';
  concept: number;
  /** x > 1 for uptune/downtune; ignored for remove/ban. */
  factor: number;
}

/** Everything the history tracks. Treat as immutable: actions return new objects. */
export interface ProjectState {
  classes: ClassInfo[];
  concepts: ConceptInfo[];
  /** Concept text embeddings, M×D (L2-normalised), or null before embedding. */
  conceptText: Mat | null;
  /** Standardisation statistics of the distillation split, M each. */
  stats: ConceptStats | null;
  /** The student; null before the first distill. */
  ensemble: Ensemble | null;
  constraints: TuneConstraint[];
  teacher: TeacherInfo | null;
  calibration: Calibration;
  /** Held-out metrics of the current student, null when not measured (or stale). */
  metrics: Metrics | null;
}

/** Fields every measured change may carry: metrics after it and flips relative to before. */
interface Measured {
  metricsAfter?: Metrics;
  flipped?: Flip[];
}

/**
 * Actions on the project. Heavy work (fitting, refitting, embedding) happens in workers; its
 * result arrives in the payload, so the reducer stays pure and fast.
 */
export type ProjectAction =
  | ({ type: 'distill'; ensemble: Ensemble; stats?: ConceptStats; lambda?: number } & Measured)
  | ({ type: 'quickEdit'; class: number; concept: number; value: number } & Measured)
  /** A student read from an export file (same classes and concepts); `source` names the file. */
  | ({ type: 'importStudent'; ensemble: Ensemble; stats: ConceptStats; source: string } & Measured)
  | ({ type: 'tune'; op: TuneOp; class: number | 'all'; concept: number; factor?: number; ensemble: Ensemble } & Measured)
  /** Append a node whose state equals node `node`'s. */
  | { type: 'restore'; node: string }
  /** Append a node whose state equals the state just before node `node` (its parent's). */
  | { type: 'revert'; node: string }
  | ({
      type: 'corpusChange';
      concepts: ConceptInfo[];
      conceptText: Mat | null;
      stats: ConceptStats | null;
      /** Refitted student for the new corpus, or null to drop the student. */
      ensemble: Ensemble | null;
      /** old concept index → new index (null = dropped); remaps tune bounds. Absent: bounds cleared. */
      oldToNew?: (number | null)[];
      /** Optional plain-language summary, e.g. "Dropped 4 concepts that never fire". */
      summary?: string;
    } & Measured)
  | ({ type: 'teacherChange'; teacher: TeacherInfo; classes?: ClassInfo[]; ensemble?: Ensemble | null } & Measured)
  /** OOD threshold or domain calibration; a domain mode change restandardises, so it may carry the metrics after it. */
  | ({ type: 'calibrationChange'; ood?: OodSettings | null; domain?: DomainSettings | null } & Measured)
  /** UI-only (selection, hover, zoom): passes through, never recorded. */
  | { type: 'ui'; what: string };

export type ProjectActionType = ProjectAction['type'];

/** How history captures each action type (see CaptureMode). */
export const CAPTURE: Readonly<Record<ProjectActionType, CaptureMode>> = {
  distill: 'recorded',
  quickEdit: 'merged', // slider drag: one node per pointer-down…pointer-up
  importStudent: 'recorded',
  tune: 'recorded',
  restore: 'recorded',
  revert: 'recorded',
  corpusChange: 'recorded',
  teacherChange: 'recorded',
  calibrationChange: 'merged', // the OOD threshold is a slider too
  ui: 'none',
};

export function emptyProject(classes: ClassInfo[] = [], concepts: ConceptInfo[] = []): ProjectState {
  return {
    classes,
    concepts,
    conceptText: null,
    stats: null,
    ensemble: null,
    constraints: [],
    teacher: null,
    calibration: { ood: null, domain: null },
    metrics: null,
  };
}
