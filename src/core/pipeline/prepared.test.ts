import { beforeEach, describe, expect, it } from 'vitest';
import type { LinearModel, Mat } from '../types.ts';
import { takeRows } from '../math/linalg.ts';
import { conceptStats, standardise } from '../concepts/stats.ts';
import { syntheticProblem } from '../student/synthetic.ts';
import { tuneBox } from '../tuning/bounds.ts';
import { distill, predictAll, tune } from './distill.ts';
import { clearPrepared, predictServed, prepareData } from './prepared.ts';

const prob = syntheticProblem({ N: 500, M: 16, C: 3, seed: 8 });
const raw: Mat = { rows: 500, cols: 16, data: prob.A.data.map((v) => 0.22 + 0.04 * v) };
const split = { train: Int32Array.from({ length: 400 }, (_, i) => i), heldOut: Int32Array.from({ length: 100 }, (_, i) => 400 + i) };
const stats = conceptStats(raw, split.train);

function model(seed: number): LinearModel {
  const W = new Float32Array(3 * 16);
  for (let q = 0; q < W.length; q++) W[q] = Math.sin(seed * 31 + q * 7.3) * 0.8;
  return { W, b: Float32Array.of(0.1 * seed, -0.2, 0.05), C: 3, M: 16 };
}

beforeEach(() => clearPrepared());

describe('prepared refit data', () => {
  it('predictions are those of logits(standardise(raw)), bit for bit, as single classes change', () => {
    // A split that leaves some images on neither side (they still get predictions).
    const partial = { train: Int32Array.from({ length: 200 }, (_, i) => 2 * i), heldOut: Int32Array.from({ length: 100 }, (_, i) => 2 * i + 1) };
    for (const sp of [split, partial]) {
      clearPrepared();
      const prep = prepareData(raw, prob.P, stats, sp, () => undefined);
      const Ahat = standardise(raw, stats);
      const all = (w: LinearModel) => Array.from(predictAll(Ahat, { served: w, members: [], lo: w.W, hi: w.W }));
      let m = model(1);
      expect(Array.from(predictServed(prep, m))).toEqual(all(m));
      // Change class 1 only (a tuning step), then class 0's bias, then everything.
      for (const change of [(w: LinearModel) => { w.W[16 + 3] += 0.7; }, (w: LinearModel) => { w.b[0] -= 2; }, (w: LinearModel) => { w.W.set(model(5).W); }]) {
        m = { ...m, W: m.W.slice(), b: m.b.slice() };
        change(m);
        expect(Array.from(predictServed(prep, m))).toEqual(all(m));
      }
    }
    // Other statistics or another activations array: other prepared data, never the cached logits.
    const m = model(3);
    const other = { mu: stats.mu.map((v) => v + 0.01), sigma: stats.sigma };
    predictServed(prepareData(raw, prob.P, stats, split, () => undefined), m);
    expect(Array.from(predictServed(prepareData(raw, prob.P, other, split, () => undefined), m))).toEqual(Array.from(predictAll(standardise(raw, other), { served: m, members: [], lo: m.W, hi: m.W })));
    const raw2 = { ...raw, data: raw.data.map((v, i) => (i % 16 === 2 ? v + 0.05 : v)) };
    expect(Array.from(predictServed(prepareData(raw2, prob.P, stats, split, () => undefined), m))).toEqual(Array.from(predictAll(standardise(raw2, stats), { served: m, members: [], lo: m.W, hi: m.W })));
  });

  it('the same data gives the same prepared rows; other statistics, split or arrays give new ones', () => {
    let checks = 0;
    const check = () => void checks++;
    const a = prepareData(raw, prob.P, stats, split, check);
    expect(Array.from(a.trainA.data)).toEqual(Array.from(takeRows(standardise(raw, stats), split.train).data));
    // Fresh copies of stats and split (as a worker receives them): the same object, no new check.
    const b = prepareData(raw, prob.P, { mu: stats.mu.slice(), sigma: stats.sigma.slice() }, { train: split.train.slice(), heldOut: split.heldOut.slice() }, check);
    expect(b.trainA).toBe(a.trainA);
    expect(checks).toBe(1);
    const otherSplit = { train: split.train.subarray(1), heldOut: Int32Array.of(0, ...split.heldOut) };
    expect(prepareData(raw, prob.P, stats, otherSplit, check).trainA.rows).toBe(399);
    expect(prepareData({ ...raw, data: raw.data.slice() }, prob.P, stats, split, check).trainA).not.toBe(a.trainA);
    expect(checks).toBe(3);
  });

  it('tune gives the same student and predictions with and without the kept data', async () => {
    const base = await distill({ raw, teacher: prob.P, members: 3, seed: 4, split });
    const { box } = tuneBox([{ kind: 'ban', j: 2, c: 1 }], base.ensemble.served);
    const input = { raw, teacher: prob.P, stats: base.stats, split: base.split, current: base.ensemble, bounds: box, seed: 4 };
    const kept = await tune(input); // after distill: the prepared rows and logits are reused
    clearPrepared();
    const fresh = await tune(input);
    expect(Array.from(kept.ensemble.served.W)).toEqual(Array.from(fresh.ensemble.served.W));
    expect(Array.from(kept.predictions)).toEqual(Array.from(fresh.predictions));
    expect(kept.metrics).toEqual(fresh.metrics);
    expect(Array.from(kept.predictions)).toEqual(Array.from(predictAll(standardise(raw, base.stats), kept.ensemble)));
  });

  it('tune still refuses bad labels and, for new data, bad activations', async () => {
    const base = await distill({ raw, teacher: prob.P, members: 2, seed: 4, split });
    const { box } = tuneBox([{ kind: 'ban', j: 2, c: 1 }], base.ensemble.served);
    const input = { raw, teacher: prob.P, stats: base.stats, split: base.split, current: base.ensemble, bounds: box, seed: 4 };
    await expect(tune({ ...input, labels: new Int32Array(500).fill(7) })).rejects.toThrow(/only 3 classes/);
    const bad = { ...raw, data: raw.data.slice() };
    bad.data[20] = Infinity;
    await expect(tune({ ...input, raw: bad })).rejects.toThrow(/image 1, concept 4 is Infinity/);
  });
});
