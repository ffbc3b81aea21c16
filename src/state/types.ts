/**
 * Types of the studio's state layer. The engine's domain types (Mat, Ensemble, Metrics, Split…)
 * come from core; what is here is what the UI needs on top: the loaded dataset with its derived
 * arrays, provenance nodes with weight snapshots, and the store's action vocabulary.
 */
import type { ConceptStats, Mat, Metrics } from '../core/types.ts';
import type { Split } from '../core/pipeline/types.ts';

/** Where a dataset came from; enough to rebuild it after a reload (synthetic) or to label it. */
export type DatasetSource =
  | { kind: 'synthetic'; seed: number; N: number; M: number }
  | { kind: 'demo'; url: string }
  | { kind: 'imported'; name: string };

/**
 * Everything about the images that does not change while the student is tuned. The student
 * itself (weights, stats, tuning constraints, provenance) lives in the core Session.
 */
export interface Dataset {
  source: DatasetSource;
  name: string;
  N: number;
  M: number;
  C: number;
  classes: string[];
  /** Concept names, keyed by index (names are only labels). */
  concepts: string[];
  imageNames: string[];
  /** Thumbnail URLs; null = draw the synthetic thumbnail from the image's seed. */
  thumbs: string[] | null;
  /** Ground-truth class per image, −1 where unknown; null when the dataset has no labels. */
  labels: Int32Array | null;
  /** N×C teacher probabilities. */
  teacher: Mat;
  /** Teacher argmax per image. */
  teacherPred: Int32Array;
  /** N×M raw activations and their standardisation. */
  raw: Mat;
  stats: ConceptStats;
  /** N×M standardised activations â. */
  ahat: Float32Array;
  /** Best region per image and concept (index into the region grid), for "best crop". */
  bestRegion: Uint8Array | null;
  /** Region grid side (1 = full image only, 2 = 2×2 + full, …). */
  regionGrid: number;
  /** Original pixel size per image (width, height interleaved, 2N); absent = the square thumbnails are the images. */
  sizes?: Uint32Array | null;
  split: Split;
  /** 1 for images in the held-out split. */
  isTest: Uint8Array;
  teacherDescription: string;
  modelDescription: string;
  /** Named image sets (a dataset that ships its own: distill, holdout, test, …): set index per image. */
  sets?: { names: string[]; of: Uint8Array };
  /** The corpus hygiene that chose `concepts` from a larger corpus (demo project), for the report. */
  hygiene?: CorpusHygiene;
  /**
   * The image model the activations were computed with, when the studio has it (demo project):
   * with `conceptText` it makes the export self-sufficient and lets new images be scored.
   */
  imageModel?: ImageModel | null;
  /** M×D text embeddings of `concepts` (same order); the session's conceptText at load. Absent/null = activation-only. */
  conceptText?: Mat | null;
  /** Image embeddings N×R×D (row-major, row 0 of each image = full image), for the export's check block. */
  imageEmbeddings?: { R: number; D: number; data: Float32Array } | null;
  /** C×D class prompt embeddings ("a photo of a {class}"), for the MCM OOD score (METHODS §8); absent/null = none. */
  classText?: Mat | null;
  /**
   * Set while the teacher is a black-box HTTP endpoint (state/httpTeacher.ts): which images it
   * answered, and the split and teacher rows from before, so a later run can ask the rest.
   * `split` then holds answered images only.
   */
  httpTeacher?: { answered: Uint8Array; baseSplit: Split; baseTeacher: Mat } | null;
  /** The domain calibration `ahat` was standardised under (state/domain.ts); absent/null = plain §2 standardisation. */
  ahatDomain?: import('../core/project/index.ts').DomainSettings | null;
  /** Teacher arrays and split per history node that changed them (state/datasetSteps.ts): undo/redo/restore put them back. */
  steps?: Record<string, import('./datasetSteps.ts').DatasetStep>;
}

/** An image encoder as the export describes it (exportV1 `model`, with a known embedding size). */
export interface ImageModel {
  id: string;
  embeddingDim: number;
  preprocessing: {
    size: number;
    crop: 'center' | 'none';
    mean: number[];
    std: number[];
    resample: 'bicubic' | 'bilinear' | 'nearest';
    padToSquare: boolean;
  };
}

/** What corpus hygiene did before the student was fitted: the corpus, what it kept, why it dropped the rest. */
export interface CorpusHygiene {
  corpus: string;
  /** Concepts in the corpus before hygiene. */
  total: number;
  dropped: { name: string; kind: string; reason: string }[];
  /** Thresholds used, in words (e.g. "class cosine 0.85, merge 0.9, never-fires 10th percentile"). */
  settings: string;
}

/** Metrics plus the confusion matrices the Performance view draws (rows: reference, cols: student). */
export interface StudioMetrics extends Metrics {
  /** C×C counts on the held-out split, rows = teacher argmax, cols = student argmax. */
  confTeacher: Int32Array;
  /** C×C counts, rows = true label; null without labels. */
  confTruth: Int32Array | null;
  /** Number of held-out images where student ≠ teacher. */
  misaligned: number;
}

/** How the student is fitted (METHODS §4); recorded in exports so the CLI's `tune` can rebuild the split. */
export interface Training {
  lambda: number;
  members: number;
  seed: number;
  heldOutFraction: number;
}

export type GalleryFilter =
  | { kind: 'all' }
  | { kind: 'misaligned' }
  /** Images the OOD score flags (score < the recorded threshold λ). */
  | { kind: 'unfamiliar' }
  /** Images of one named set (Dataset.sets). */
  | { kind: 'set'; set: number }
  /** Images whose likeliest condition (domain posterior, METHODS §8) is domain `domain`. */
  | { kind: 'domain'; domain: number }
  /** Images whose prediction the node's change flipped (default: the head node). */
  | { kind: 'flipped'; nodeId?: string }
  | { kind: 'class'; cls: number; by: 'student' | 'teacher' | 'truth' }
  | { kind: 'confusion'; matrix: 'teacher' | 'truth'; row: number; col: number };

export interface JobProgress {
  id: string;
  label: string;
  stage: string;
  done: number;
  total: number;
  startedAt: number;
  /** Items per second, measured. */
  rate: number;
  cancellable: boolean;
}

export interface TuneProposal {
  kind: 'uptune' | 'downtune';
  cls: number;
  concept: number;
  factor: number;
  reason: string;
}

/**
 * Project settings that change how future embeddings are computed (not the current student).
 * Saved with the project and written into the project file.
 */
export interface ProjectSettings {
  /** Pad each image (and grid region) to a centred square instead of CLIP's centre crop. */
  padToSquare: boolean;
  /** When and how each setting last changed (a short log; the provenance tree holds student changes). */
  log: { time: number; text: string }[];
}

export const DEFAULT_SETTINGS: ProjectSettings = { padToSquare: false, log: [] };
