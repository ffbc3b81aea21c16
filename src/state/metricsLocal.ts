/**
 * Held-out metrics and confusion matrices from predictions (METHODS.md §4). O(N_test + C²), so it
 * runs on every slider move. UI-side stand-in until core/metrics lands; same definitions.
 */
import type { Dataset, StudioMetrics } from './types.ts';

export function computeMetrics(ds: Dataset, pred: Int32Array): StudioMetrics {
  const C = ds.C;
  const test = ds.split.heldOut;
  const confTeacher = new Int32Array(C * C);
  const confTruth = ds.labels ? new Int32Array(C * C) : null;
  let agree = 0;
  let correct = 0;
  let labelled = 0;
  for (let k = 0; k < test.length; k++) {
    const i = test[k];
    const p = pred[i];
    const t = ds.teacherPred[i];
    confTeacher[t * C + p]++;
    if (p === t) agree++;
    if (ds.labels && confTruth) {
      const y = ds.labels[i];
      if (y >= 0) {
        labelled++;
        confTruth[y * C + p]++;
        if (y === p) correct++;
      }
    }
  }
  const perClass = [];
  for (let c = 0; c < C; c++) {
    let nT = 0;
    let nTruth = 0;
    for (let q = 0; q < C; q++) {
      nT += confTeacher[c * C + q];
      if (confTruth) nTruth += confTruth[c * C + q];
    }
    perClass.push({
      fidelity: nT ? confTeacher[c * C + c] / nT : null,
      accuracy: confTruth && nTruth ? confTruth[c * C + c] / nTruth : null,
      // n counts the held-out images the teacher assigns to this class.
      n: nT,
    });
  }
  return {
    fidelity: test.length ? agree / test.length : 0,
    accuracy: confTruth && labelled ? correct / labelled : null,
    n: test.length,
    perClass,
    confTeacher,
    confTruth,
    misaligned: test.length - agree,
  };
}

/** Indices where two prediction vectors differ. */
export function flippedBetween(a: Int32Array, b: Int32Array): Int32Array {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  const out = new Int32Array(n);
  n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out[n++] = i;
  return out;
}
