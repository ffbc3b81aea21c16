/**
 * Distil and tune end to end (METHODS.md §2, §4, §5): the one orchestration used by the train
 * worker (studio) and the command line, so both compute exactly the same student.
 */
import type { Ensemble, Mat } from '../types.ts';
import { argmaxRows, logits } from '../math/linalg.ts';
import { conceptStats } from '../concepts/stats.ts';
import { trainHeldOutSplit } from '../metrics/split.ts';
import { computeMetrics } from '../metrics/metrics.ts';
import { fitEnsemble, refitWithBounds, DEFAULT_LAMBDA } from '../student/fit.ts';
import { predictServed, prepareData } from './prepared.ts';
import type { DistillInput, DistillResult, RunOptions, Split, TuneInput, TuneResult } from './types.ts';

export const DEFAULT_HOLDOUT = 0.2;
export const DEFAULT_MEMBERS = 20;

/** Check that activations, teacher and labels describe the same images; one clear message if not. */
export function checkInputs(raw: Mat, teacher: Mat, labels?: Int32Array): void {
  if (raw.data.length !== raw.rows * raw.cols) throw new Error(`activations: data does not match ${raw.rows}×${raw.cols}`);
  if (teacher.data.length !== teacher.rows * teacher.cols) throw new Error(`teacher: data does not match ${teacher.rows}×${teacher.cols}`);
  if (raw.rows !== teacher.rows) throw new Error(`activations cover ${raw.rows} images but the teacher covers ${teacher.rows}`);
  if (teacher.cols < 2) throw new Error(`the teacher must give at least 2 classes, got ${teacher.cols}`);
  for (let q = 0; q < raw.data.length; q++) {
    if (!Number.isFinite(raw.data[q])) throw new Error(`activations: image ${Math.floor(q / raw.cols)}, concept ${q % raw.cols} is ${raw.data[q]}`);
  }
  for (let q = 0; q < teacher.data.length; q++) {
    const p = teacher.data[q];
    if (!(p >= 0 && p <= 1)) throw new Error(`teacher: image ${Math.floor(q / teacher.cols)}, class ${q % teacher.cols} is ${p}; probabilities must lie in [0, 1]`);
  }
  if (labels) checkLabels(labels, raw.rows, teacher.cols);
}

function checkLabels(labels: Int32Array, N: number, C: number): void {
  if (labels.length !== N) throw new Error(`labels cover ${labels.length} images but the activations cover ${N}`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= C) throw new Error(`label of image ${i} is class ${labels[i]}, but there are only ${C} classes`);
  }
}

/** Predictions of the served student for every image, from standardised activations. */
export function predictAll(Ahat: Mat, ensemble: Ensemble): Int32Array {
  return argmaxRows(logits(Ahat, ensemble.served));
}

/**
 * The distillation / held-out split, reproducible from (teacher, fraction, seed) alone — which is
 * how a later tune (another session, the command line) finds the same split again. Stratified by
 * the teacher's label so every class the teacher uses is on both sides.
 */
export function distillSplit(teacher: Mat, heldOutFraction = DEFAULT_HOLDOUT, seed = 0): Split {
  return trainHeldOutSplit(argmaxRows(teacher), { heldOutFraction, seed });
}

/** A given split must name existing images, each at most once, with both sides non-empty. */
function checkSplit(split: Split, N: number): Split {
  const seen = new Uint8Array(N);
  for (const part of [split.train, split.heldOut]) {
    for (const i of part) {
      if (!(i >= 0 && i < N)) throw new Error(`split: image ${i} does not exist (N = ${N})`);
      if (seen[i]) throw new Error(`split: image ${i} is on both sides or listed twice`);
      seen[i] = 1;
    }
  }
  if (!split.train.length || !split.heldOut.length) throw new Error('split: both the distillation and the held-out side need images');
  return split;
}

export async function distill(input: DistillInput, opts: RunOptions = {}): Promise<DistillResult> {
  const { raw, teacher, labels } = input;
  checkInputs(raw, teacher, labels);
  const teacherLabels = argmaxRows(teacher);
  const split = input.split ? checkSplit(input.split, raw.rows) : distillSplit(teacher, input.holdout ?? DEFAULT_HOLDOUT, input.seed ?? 0);
  const stats = conceptStats(raw, split.train);
  const fit = input.fitOn ?? { raw, stats };
  if (input.fitOn) {
    const f = input.fitOn;
    if (f.raw.rows !== raw.rows || f.raw.cols !== raw.cols || f.raw.data.length !== raw.rows * raw.cols) throw new Error(`fitOn: activations are ${f.raw.rows}×${f.raw.cols}, expected ${raw.rows}×${raw.cols}`);
    if (f.stats.mu.length !== raw.cols || f.stats.sigma.length !== raw.cols) throw new Error(`fitOn: statistics for ${f.stats.mu.length} concepts, expected ${raw.cols}`);
  }
  // Kept for the refits that follow (prepared.ts); raw and teacher were checked above.
  const prep = prepareData(fit.raw, teacher, fit.stats, split, () => undefined);
  const ensemble = await fitEnsemble(prep.trainA, prep.trainP, {
    members: input.members ?? DEFAULT_MEMBERS,
    lambda: input.lambda ?? DEFAULT_LAMBDA,
    seed: input.seed ?? 0,
    kernel: opts.kernel,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  const predictions = predictServed(prep, ensemble.served);
  const metrics = computeMetrics(predictions, teacherLabels, teacher.cols, labels, split.heldOut);
  return { stats, split, ensemble, metrics, predictions, teacherLabels };
}

/** Refit every member inside `bounds` on the same split, resamples and targets (METHODS.md §5). */
export async function tune(input: TuneInput, opts: RunOptions = {}): Promise<TuneResult> {
  const { raw, teacher, labels, split, stats } = input;
  // Same data as the distil or refit before (the train worker's case): checked and standardised then.
  const prep = prepareData(raw, teacher, stats, split, () => checkInputs(raw, teacher));
  if (labels) checkLabels(labels, raw.rows, teacher.cols);
  const ensemble = await refitWithBounds(prep.trainA, prep.trainP, input.current, input.bounds, {
    lambda: input.lambda ?? DEFAULT_LAMBDA,
    seed: input.seed ?? 0,
    kernel: opts.kernel,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  const predictions = predictServed(prep, ensemble.served);
  const metrics = computeMetrics(predictions, prep.teacherLabels, teacher.cols, labels, split.heldOut);
  return { ensemble, metrics, predictions };
}
