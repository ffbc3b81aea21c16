import { describe, it, expect } from 'vitest';
import { distill, tune } from './distill.ts';
import { syntheticProblem } from '../student/synthetic.ts';
import { tuneBox } from '../tuning/bounds.ts';
import type { Mat } from '../types.ts';

// Raw activations are CLIP-like cosines (≈0.2 ± 0.05), not standardised: distill must standardise.
function rawFrom(A: Mat): Mat {
  return { rows: A.rows, cols: A.cols, data: A.data.map((v) => 0.22 + 0.04 * v) };
}

describe('distill → tune pipeline', () => {
  const prob = syntheticProblem({ N: 600, M: 24, C: 3, seed: 3 });
  const raw = rawFrom(prob.A);

  it('standardises with train-split statistics, fits an ensemble and reports held-out metrics', async () => {
    const res = await distill({ raw, teacher: prob.P, members: 5, seed: 1 });
    const { train, heldOut } = res.split;
    expect(train.length + heldOut.length).toBe(600);
    expect(new Set([...train, ...heldOut]).size).toBe(600);
    expect(heldOut.length).toBeGreaterThan(100);
    expect(res.stats.mu[0]).toBeGreaterThan(0.1); // raw-scale mean, not 0
    expect(res.ensemble.members).toHaveLength(5);
    expect(res.metrics.n).toBe(heldOut.length);
    expect(res.metrics.accuracy).toBeNull();
    expect(res.metrics.fidelity).toBeGreaterThan(0.85);
    expect(res.predictions).toHaveLength(600);
  });

  it('is reproducible from its seed', async () => {
    const a = await distill({ raw, teacher: prob.P, members: 3, seed: 7 });
    const b = await distill({ raw, teacher: prob.P, members: 3, seed: 7 });
    expect(Array.from(a.ensemble.served.W)).toEqual(Array.from(b.ensemble.served.W));
    expect(Array.from(a.split.heldOut)).toEqual(Array.from(b.split.heldOut));
  });

  it('a ban refits every member with the banned weight at exactly zero, others compensating', async () => {
    const base = await distill({ raw, teacher: prob.P, members: 4, seed: 2 });
    const served = base.ensemble.served;
    // Ban the concept with the largest weight for class 0.
    let j = 0;
    for (let q = 1; q < served.M; q++) if (Math.abs(served.W[q]) > Math.abs(served.W[j])) j = q;
    const { box } = tuneBox([{ kind: 'ban', j, c: 0 }], served);
    const res = await tune({ raw, teacher: prob.P, stats: base.stats, split: base.split, current: base.ensemble, bounds: box, seed: 2 });
    for (const m of res.ensemble.members) expect(m.W[j]).toBe(0);
    expect(res.ensemble.served.W[j]).toBe(0);
    const others = Array.from(res.ensemble.served.W).filter((_, q) => q !== j && q < served.M);
    const before = Array.from(served.W).filter((_, q) => q !== j && q < served.M);
    expect(others).not.toEqual(before);
    expect(res.metrics.n).toBe(base.metrics.n);
  });

  it('refuses mismatched inputs with a specific message', async () => {
    const short: Mat = { rows: 10, cols: 3, data: prob.P.data.slice(0, 30) };
    await expect(distill({ raw, teacher: short })).rejects.toThrow(/activations cover 600 images but the teacher covers 10/);
    const bad = { ...raw, data: raw.data.slice() };
    bad.data[5] = NaN;
    await expect(distill({ raw: bad, teacher: prob.P })).rejects.toThrow(/image 0, concept 5 is NaN/);
    await expect(distill({ raw, teacher: prob.P, labels: new Int32Array(600).fill(9) })).rejects.toThrow(/only 3 classes/);
  });
});
