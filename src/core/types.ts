/**
 * Shared domain types of the engine. Everything numeric is a Float32Array in row-major order;
 * sizes travel beside the data so nothing has to guess a shape.
 *
 * Notation (METHODS.md): N images, M concepts, C classes, R regions, D embedding size, k members.
 */

/** A dense row-major matrix. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** One linear one-vs-rest model: logit z_c = w_c · â + b_c. */
export interface LinearModel {
  /** C×M, row c holds the weights of class c. */
  W: Float32Array;
  /** C biases. */
  b: Float32Array;
  C: number;
  M: number;
}

/** Per-weight box constraints (C×M each); ±Infinity means free. Used by tuning (METHODS.md §5). */
export interface Box {
  lo: Float32Array;
  hi: Float32Array;
}

/**
 * The bootstrap ensemble. The student that is served (sliders, predictions, export) is `served`,
 * the mean of the members' weights and biases; `lo`/`hi` are the members' 10th/90th percentiles
 * per weight, shown as an uncertainty band and exported as information only.
 */
export interface Ensemble {
  served: LinearModel;
  members: LinearModel[];
  lo: Float32Array;
  hi: Float32Array;
}

/** Concept standardisation statistics, one entry per concept (METHODS.md §2). */
export interface ConceptStats {
  mu: Float32Array;
  sigma: Float32Array;
}

/** Held-out metrics, always with the split they were measured on. */
export interface Metrics {
  /** Share of images where student argmax = teacher argmax. */
  fidelity: number;
  /** Share where student argmax = ground truth; null when there are no labels. */
  accuracy: number | null;
  /** Number of images the metrics were computed on. */
  n: number;
  perClass: { fidelity: number | null; accuracy: number | null; n: number }[];
}

/** Progress reported by long-running engine work. */
export interface Progress {
  stage: string;
  done: number;
  total: number;
}

/** Cooperative cancellation usable without the DOM's AbortSignal type. */
export interface CancelToken {
  readonly aborted: boolean;
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}
