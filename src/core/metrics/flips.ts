/**
 * What changed between two students (METHODS.md §5: "report Δfidelity, Δaccuracy and the list
 * of images whose prediction flipped, both directions").
 */
import type { Metrics } from '../types.ts';
import type { Labels } from './metrics.ts';

/** Images that became right / wrong with respect to one reference (teacher or truth). */
export interface FlipDirections {
  /** Wrong before, right after. */
  becameRight: Int32Array;
  /** Right before, wrong after. */
  becameWrong: Int32Array;
}

export interface Flips {
  /** Every image whose predicted class changed (ascending). */
  changed: Int32Array;
  vsTeacher: FlipDirections;
  /** Null when there is no ground truth; unlabelled images (label < 0) never appear here. */
  vsTruth: FlipDirections | null;
}

export interface MetricDelta {
  /** fidelity(after) − fidelity(before). */
  dFidelity: number;
  /** accuracy(after) − accuracy(before); null unless both sides have an accuracy. */
  dAccuracy: number | null;
  /** Number of images whose prediction changed. */
  flipped: number;
}

function directions(before: Labels, after: Labels, ref: Labels, changed: number[]): FlipDirections {
  const right: number[] = [];
  const wrong: number[] = [];
  for (const i of changed) {
    const r = ref[i];
    if (r < 0) continue;
    const wasRight = before[i] === r;
    const isRight = after[i] === r;
    if (!wasRight && isRight) right.push(i);
    else if (wasRight && !isRight) wrong.push(i);
  }
  return { becameRight: Int32Array.from(right), becameWrong: Int32Array.from(wrong) };
}

/**
 * Compare two prediction vectors over the same images. A flip between two wrong classes is in
 * `changed` but in neither direction list, which is why `changed` is reported separately.
 */
export function flippedImages(
  before: Labels,
  after: Labels,
  teacher: Labels,
  truth?: Labels | null,
  rows?: ArrayLike<number>,
): Flips {
  if (before.length !== after.length || before.length !== teacher.length) {
    throw new Error(`prediction vectors differ in length: ${before.length}, ${after.length}, teacher ${teacher.length}`);
  }
  if (truth && truth.length !== before.length) throw new Error(`${truth.length} ground-truth labels for ${before.length} images`);
  const changed: number[] = [];
  if (rows) {
    const sorted = Int32Array.from(rows).sort();
    for (let k = 0; k < sorted.length; k++) if (before[sorted[k]] !== after[sorted[k]]) changed.push(sorted[k]);
  } else {
    for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed.push(i);
  }
  return {
    changed: Int32Array.from(changed),
    vsTeacher: directions(before, after, teacher, changed),
    vsTruth: truth ? directions(before, after, truth, changed) : null,
  };
}

/** The summary line shown after an edit or a tune. */
export function metricDelta(before: Metrics, after: Metrics, flips: Flips | number): MetricDelta {
  return {
    dFidelity: after.fidelity - before.fidelity,
    dAccuracy: before.accuracy !== null && after.accuracy !== null ? after.accuracy - before.accuracy : null,
    flipped: typeof flips === 'number' ? flips : flips.changed.length,
  };
}
