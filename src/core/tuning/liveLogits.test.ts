import { describe, expect, it } from 'vitest';
import { mulberry32, randInt, randNormal } from '../math/rng.ts';
import { argmaxRows, logits, mat } from '../math/linalg.ts';
import type { LinearModel, Mat } from '../types.ts';
import { computeMetrics } from '../metrics/metrics.ts';
import { flippedImages } from '../metrics/flips.ts';
import { LiveLogits } from './liveLogits.ts';

function setup(seed: number, N: number, M: number, C: number): { A: Mat; model: LinearModel; teacher: Int32Array; truth: Int32Array } {
  const rng = mulberry32(seed);
  const A = mat(N, M);
  for (let k = 0; k < A.data.length; k++) A.data[k] = randNormal(rng);
  // Some exact zeros: those rows must be skipped without changing anything.
  for (let i = 0; i < N; i += 7) A.data[i * M] = 0;
  const W = new Float32Array(C * M);
  for (let k = 0; k < W.length; k++) W[k] = randNormal(rng) * 0.3;
  const b = Float32Array.from({ length: C }, () => randNormal(rng) * 0.1);
  const teacher = Int32Array.from({ length: N }, () => randInt(rng, C));
  const truth = Int32Array.from({ length: N }, (_, i) => (i % 5 === 0 ? -1 : randInt(rng, C)));
  return { A, model: { W, b, C, M }, teacher, truth };
}

/** Rows whose top two logits are closer than tol: argmax there may differ by rounding alone. */
function nearTies(Z: Mat, tol: number): Set<number> {
  const s = new Set<number>();
  for (let i = 0; i < Z.rows; i++) {
    const row = Array.from(Z.data.subarray(i * Z.cols, (i + 1) * Z.cols)).sort((x, y) => y - x);
    if (row[0] - row[1] < tol) s.add(i);
  }
  return s;
}

describe('LiveLogits', () => {
  it('matches a full recompute after many random edits (weights and biases)', () => {
    const { A, model, teacher, truth } = setup(1, 500, 12, 5);
    const heldOut = Array.from({ length: 250 }, (_, k) => 2 * k);
    const live = new LiveLogits(A, model, { teacher, truth, evalRows: heldOut });
    const W = model.W.slice();
    const b = model.b.slice();
    const rng = mulberry32(99);
    let prev = live.pred.slice();
    let badChanged = 0;
    let badPred = 0;
    for (let step = 0; step < 2000; step++) {
      if (step % 50 === 49) {
        const c = randInt(rng, 5);
        b[c] += randNormal(rng) * 0.2;
        live.setBias(c, b[c]);
      } else {
        const c = randInt(rng, 5);
        const j = randInt(rng, 12);
        W[c * 12 + j] = W[c * 12 + j] + randNormal(rng) * 0.3;
        live.setWeight(c, j, W[c * 12 + j]);
      }
      // lastChanged lists exactly the rows that changed in this move.
      const changed = new Set(live.lastChanged());
      for (let i = 0; i < 500; i++) if ((live.pred[i] !== prev[i]) !== changed.has(i)) badChanged++;
      prev = live.pred.slice();
      // Predictions agree with an independent recompute after every move (not only at the end,
      // where a bias move's full row scan would hide earlier mistakes).
      const Zs = logits(A, { W, b, C: 5, M: 12 });
      const ps = argmaxRows(Zs);
      const tiesNow = nearTies(Zs, 1e-4);
      for (let i = 0; i < 500; i++) if (!tiesNow.has(i) && ps[i] !== live.pred[i]) badPred++;
    }
    expect(badChanged).toBe(0);
    expect(badPred).toBe(0);
    const ref = logits(A, { W, b, C: 5, M: 12 });
    const got = live.logits();
    for (let k = 0; k < ref.data.length; k++) expect(got.data[k]).toBeCloseTo(ref.data[k], 4);
    const refPred = argmaxRows(ref);
    const ties = nearTies(ref, 1e-4);
    for (let i = 0; i < 500; i++) if (!ties.has(i)) expect(live.pred[i]).toBe(refPred[i]);
    // Live counts agree with a from-scratch metric computation on the eval rows.
    const m = computeMetrics(live.pred, teacher, 5, truth, heldOut);
    expect(live.fidelity()).toBeCloseTo(m.fidelity, 12);
    expect(live.accuracy()).toBeCloseTo(m.accuracy!, 12);
    expect(live.metrics()).toEqual(m);
    expect(Array.from(live.model().W)).toEqual(Array.from(W));
  });

  it('breaks ties like argmaxRows (first class wins)', () => {
    // Two classes, one concept, â = 1: z = (w0, w1). Moving w1 up to w0 exactly ties → class 0.
    const live = new LiveLogits(mat(1, 1, new Float32Array([1])), { W: new Float32Array([0.5, 0]), b: new Float32Array(2), C: 2, M: 1 });
    expect(live.setWeight(1, 0, 0.5)).toBe(0);
    expect(live.pred[0]).toBe(0);
    expect(live.setWeight(1, 0, 0.75)).toBe(1);
    expect(live.pred[0]).toBe(1);
    // Now lower class 0 to tie with class 1 from the other side: class 0 (lower index) wins the tie.
    live.setWeight(0, 0, 0.75);
    expect(live.pred[0]).toBe(0);
    live.setWeight(0, 0, 0.1);
    expect(live.pred[0]).toBe(1);
    expect(live.logit(0, 0)).toBeCloseTo(0.1, 6);
  });

  it('reports a gesture\'s flips against its start, and never mutates the caller\'s model', () => {
    const { A, model, teacher } = setup(2, 300, 6, 3);
    const W0 = model.W.slice();
    const live = new LiveLogits(A, model, { teacher });
    live.beginGesture(2);
    const start = live.pred.slice();
    for (let t = 0; t <= 20; t++) live.setWeight(1, 2, W0[1 * 6 + 2] + t * 0.2);
    const changed = live.gestureChanged();
    const base = live.endGesture()!;
    expect(Array.from(base)).toEqual(Array.from(start));
    expect(changed.length).toBeGreaterThan(0);
    expect(Array.from(flippedImages(base, live.pred, teacher).changed)).toEqual(Array.from(changed));
    expect(Array.from(model.W)).toEqual(Array.from(W0));
    expect(live.gestureBase()).toBeNull();
    expect(() => live.setWeight(3, 0, 1)).toThrow(/outside/);
    expect(() => live.setWeight(0, 0, NaN)).toThrow(/finite/);
  });

  it('is fast enough for a slider at N = 100k', () => {
    const N = 100_000, M = 32, C = 10;
    const { A, model } = setup(3, N, M, C);
    const live = new LiveLogits(A, model);
    live.beginGesture(5);
    const times: number[] = [];
    for (let t = 0; t < 60; t++) {
      const t0 = performance.now();
      live.setWeight(4, 5, Math.sin(t / 5));
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    // Target is < 2 ms (≈1.2 ms measured); the bound is loose because CI machines are shared.
    expect(times[30]).toBeLessThan(10);
  });
});
