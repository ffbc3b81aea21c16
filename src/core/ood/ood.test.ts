import { describe, it, expect } from 'vitest';
import { auroc, evaluateOod, fprAtTpr, mcmScore, mcmScores, passRate, passThreshold, studentPrototypes } from './ood.ts';

const golden: [number[], number[], number, number][] = [
  [[0.9, 0.8, 0.7], [0.3, 0.2, 0.1], 1.0, 0.0],
  [[0.9, 0.8, 0.75, 0.6, 0.55, 0.4], [0.7, 0.5, 0.45, 0.3, 0.2], 0.833333, 0.6],
  [[0.5, 0.5, 0.9, 0.2], [0.5, 0.1, 0.3], 0.75, 0.666667],
];

describe('OOD metrics (METHODS §8 golden values)', () => {
  it.each(golden)('%j vs %j → AUROC %f, FPR95 %f', (id, ood, a, f) => {
    expect(auroc(id, ood)).toBeCloseTo(a, 6);
    expect(fprAtTpr(id, ood)).toBeCloseTo(f, 6);
  });

  it('MCM of normalise([1, 0.2, 0]) against e1, e2, e3', () => {
    const n = Math.hypot(1, 0.2);
    const x = [1 / n, 0.2 / n, 0];
    const basis = { rows: 3, cols: 3, data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]) };
    expect(mcmScore(x, basis, 1)).toBeCloseTo(0.546013, 6);
    expect(mcmScore(x, basis, 0.01)).toBeCloseTo(1.0, 6);
    // Batch form normalises the full-image row itself and ignores the other regions.
    const imgs = { N: 1, R: 2, D: 3, data: Float32Array.from([5, 1, 0, 0, 0, 9]) };
    expect(mcmScores(imgs, basis, 1)[0]).toBeCloseTo(0.546013, 6);
  });

  it('threshold: the ⌈0.95 n⌉-th largest ID score, ties pass', () => {
    const id = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
    expect(passThreshold(id)).toBe(2); // 19 of 20 pass (exactly 95 %)
    expect(passRate(id, passThreshold(id))).toBe(0.95);
    expect(passThreshold(Array.from({ length: 21 }, (_, i) => i + 1))).toBe(2); // ⌈19.95⌉ = 20 of 21 pass
    expect(passThreshold([0.3, 0.3, 0.3])).toBe(0.3);
    expect(() => passThreshold([])).toThrow('at least one held-out');
  });

  it('bootstrap CIs are seeded and contain the point estimate', () => {
    const id = Array.from({ length: 60 }, (_, i) => 0.5 + 0.4 * Math.sin(i * 12.9898) ** 2);
    const ood = Array.from({ length: 40 }, (_, i) => 0.3 + 0.4 * Math.sin(i * 78.233) ** 2);
    const e1 = evaluateOod(id, ood, { resamples: 300, seed: 7 });
    const e2 = evaluateOod(id, ood, { resamples: 300, seed: 7 });
    expect(e1).toEqual(e2);
    expect(e1.auroc.lo).toBeLessThanOrEqual(e1.auroc.value);
    expect(e1.auroc.hi).toBeGreaterThanOrEqual(e1.auroc.value);
    expect(e1.fpr95.lo).toBeLessThanOrEqual(e1.fpr95.hi);
    expect(e1.auroc.hi - e1.auroc.lo).toBeGreaterThan(0);
  });

  it('student prototypes: Σ_j (w_cj/σ_j) t_j normalised', () => {
    const T = { rows: 2, cols: 2, data: Float32Array.from([2, 0, 0, 1]) };
    const P = studentPrototypes({ C: 2, M: 2, W: Float32Array.from([1, 0, 1, 1]), b: new Float32Array(2) }, T, { mu: new Float32Array(2), sigma: Float32Array.from([0.5, 1]) });
    expect(Array.from(P.data.slice(0, 2))).toEqual([1, 0]);
    // class 1: (1/0.5)·e1 + 1·e2 = (2, 1) → normalised
    expect(P.data[2]).toBeCloseTo(2 / Math.sqrt(5), 6);
    expect(P.data[3]).toBeCloseTo(1 / Math.sqrt(5), 6);
  });
});
