/**
 * Held-out metrics (METHODS.md §4): fidelity to the teacher, accuracy against ground truth,
 * per-class figures, confusion matrices and the misaligned subset.
 *
 * Conventions shared by every function here:
 * - predictions and labels are class indices (Int32Array or any ArrayLike<number>), one per image;
 * - a ground-truth label < 0 means "unlabelled": that image counts for fidelity but not for
 *   accuracy (datasets are often partly labelled); accuracy is null when no image is labelled;
 * - `rows` restricts everything to a subset (typically the held-out split); it defaults to all.
 */
import type { Metrics } from '../types.ts';

/** Labels as a flat array; `null`/`undefined` = no ground truth at all. */
export type Labels = ArrayLike<number>;

/** A C×C count matrix: counts[ref·C + pred] = images with reference class ref and student class pred. */
export interface Confusion {
  C: number;
  counts: Int32Array;
}

function forRows(n: number, rows: ArrayLike<number> | undefined, f: (i: number) => void): void {
  if (rows) for (let k = 0; k < rows.length; k++) f(rows[k]);
  else for (let i = 0; i < n; i++) f(i);
}

function checkLengths(student: Labels, other: Labels, what: string): void {
  if (student.length !== other.length) {
    throw new Error(`${student.length} student predictions but ${other.length} ${what}`);
  }
}

/**
 * Fidelity, accuracy and per-class figures of the student on `rows`.
 * Per class c: fidelity over the images the *teacher* puts in c, accuracy over the images
 * whose *truth* is c (the natural denominators for "how well does the student follow the
 * teacher / the world on class c"); `n` is the teacher's count for c. Empty groups give null.
 */
export function computeMetrics(
  student: Labels,
  teacher: Labels,
  C: number,
  truth?: Labels | null,
  rows?: ArrayLike<number>,
): Metrics {
  checkLengths(student, teacher, 'teacher labels');
  if (truth) checkLengths(student, truth, 'ground-truth labels');
  const tN = new Int32Array(C);
  const tAgree = new Int32Array(C);
  const gN = new Int32Array(C);
  const gRight = new Int32Array(C);
  let n = 0;
  let agree = 0;
  let labelled = 0;
  let right = 0;
  forRows(student.length, rows, (i) => {
    const s = student[i];
    const t = teacher[i];
    n++;
    if (t >= 0 && t < C) {
      tN[t]++;
      if (s === t) tAgree[t]++;
    }
    if (s === t) agree++;
    if (truth) {
      const g = truth[i];
      if (g >= 0 && g < C) {
        labelled++;
        gN[g]++;
        if (s === g) {
          right++;
          gRight[g]++;
        }
      }
    }
  });
  const perClass: Metrics['perClass'] = [];
  for (let c = 0; c < C; c++) {
    perClass.push({
      fidelity: tN[c] > 0 ? tAgree[c] / tN[c] : null,
      accuracy: truth && gN[c] > 0 ? gRight[c] / gN[c] : null,
      n: tN[c],
    });
  }
  return {
    // An empty split has no fidelity to speak of; NaN would poison sums, so report 0 with n = 0.
    fidelity: n > 0 ? agree / n : 0,
    accuracy: truth && labelled > 0 ? right / labelled : null,
    n,
    perClass,
  };
}

/**
 * Confusion matrix of the student against a reference (teacher or truth): rows are the
 * reference class, columns the student's. Images with a reference label outside 0..C−1 (e.g.
 * unlabelled, −1) are skipped.
 */
export function confusionMatrix(student: Labels, reference: Labels, C: number, rows?: ArrayLike<number>): Confusion {
  checkLengths(student, reference, 'reference labels');
  const counts = new Int32Array(C * C);
  forRows(student.length, rows, (i) => {
    const r = reference[i];
    const s = student[i];
    if (r >= 0 && r < C && s >= 0 && s < C) counts[r * C + s]++;
  });
  return { C, counts };
}

/** Indices (ascending, within `rows` when given) where the student disagrees with the teacher. */
export function misalignedSubset(student: Labels, teacher: Labels, rows?: ArrayLike<number>): Int32Array {
  checkLengths(student, teacher, 'teacher labels');
  const out: number[] = [];
  forRows(student.length, rows, (i) => {
    if (student[i] !== teacher[i]) out.push(i);
  });
  return Int32Array.from(out).sort();
}
