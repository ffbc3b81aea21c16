import type { Box, CancelToken, ConceptStats, Ensemble, Mat, Metrics, Progress } from '../types.ts';
import type { Split } from '../metrics/split.ts';
import type { KernelFactory } from '../student/kernel.ts';

export type { Split };

/** What distillation needs: raw concept activations, teacher probabilities, optional labels. */
export interface DistillInput {
  /** N×M raw activations a_ij (before standardisation). */
  raw: Mat;
  /** N×C teacher probabilities. */
  teacher: Mat;
  /** N ground-truth class indices, −1 where unknown; omitted when there are no labels. */
  labels?: Int32Array;
  /** Share of images held out for metrics (default 0.2). */
  holdout?: number;
  /** Bootstrap members (default 20). */
  members?: number;
  /** L1 strength λ (default 1e-4). */
  lambda?: number;
  seed?: number;
  /**
   * A fixed distillation / held-out split (e.g. a dataset that ships its own sets); by default
   * the split is drawn from (teacher, holdout, seed) with {@link distillSplit}.
   */
  split?: Split;
  /**
   * Activations to fit on instead of `raw` standardised by its own statistics: e.g. under domain
   * calibration (METHODS.md §8) the calibrated â, given as `raw` with μ = 0, σ = 1. The split and
   * the returned statistics still come from `raw` (the plain §2 standardisation the project keeps).
   */
  fitOn?: { raw: Mat; stats: ConceptStats };
}


export interface DistillResult {
  stats: ConceptStats;
  split: Split;
  ensemble: Ensemble;
  /** Held-out metrics of the served student. */
  metrics: Metrics;
  /** Predictions of the served student for every image (metrics use only the held-out ones). */
  predictions: Int32Array;
  /** Teacher argmax for every image. */
  teacherLabels: Int32Array;
}

export interface TuneInput {
  raw: Mat;
  teacher: Mat;
  labels?: Int32Array;
  stats: ConceptStats;
  split: Split;
  /** The current student; its members warm-start the refit. */
  current: Ensemble;
  bounds: Box;
  lambda?: number;
  seed?: number;
}

export interface TuneResult {
  ensemble: Ensemble;
  metrics: Metrics;
  /** Predictions of the refitted student for every image. */
  predictions: Int32Array;
}

export interface RunOptions {
  signal?: CancelToken;
  onProgress?: (p: Progress) => void | Promise<void>;
  /** The GEMM kernel (default: pure JS). Workers and the CLI pass an onnxruntime-backed one. */
  kernel?: KernelFactory;
}
