import { describe, expect, it } from 'vitest';
import { mat } from '../math/linalg.ts';
import { conceptStats, selectConcepts, selectStats, SIGMA_FLOOR, standardise } from './stats.ts';

describe('concept statistics', () => {
  const A = mat(4, 2, new Float32Array([1, 5, 2, 5, 3, 5, 10, 5]));

  it('computes μ and population σ over a split, flooring σ', () => {
    const s = conceptStats(A, [0, 1, 2]);
    expect(s.mu[0]).toBeCloseTo(2, 6);
    expect(s.sigma[0]).toBeCloseTo(Math.sqrt(2 / 3), 6);
    expect(s.mu[1]).toBeCloseTo(5, 6);
    expect(s.sigma[1]).toBeCloseTo(SIGMA_FLOOR, 12);
  });

  it('uses all rows by default and stays precise when μ ≫ σ', () => {
    const B = mat(3, 1, new Float32Array([0.25, 0.2501, 0.2502]));
    const s = conceptStats(B);
    expect(s.sigma[0]).toBeCloseTo(Math.sqrt(2 / 3) * 1e-4, 7);
  });

  it('standardises with the given stats (also in place)', () => {
    const s = conceptStats(A, [0, 1, 2]);
    const z = standardise(A, s);
    expect(z.data[6]).toBeCloseTo((10 - 2) / Math.sqrt(2 / 3), 4);
    expect(z.data[1]).toBe(0);
    const copy = mat(4, 2, A.data.slice());
    standardise(copy, s, copy.data);
    expect(Array.from(copy.data)).toEqual(Array.from(z.data));
    // Standardised training split has mean 0 and σ 1.
    const st = conceptStats(z, [0, 1, 2]);
    expect(st.mu[0]).toBeCloseTo(0, 6);
    expect(st.sigma[0]).toBeCloseTo(1, 5);
  });

  it('selects concept columns and their stats', () => {
    const s = conceptStats(A);
    expect(Array.from(selectConcepts(A, [1, 0]).data.subarray(0, 2))).toEqual([5, 1]);
    expect(selectStats(s, [1]).mu[0]).toBe(5);
    expect(() => conceptStats(A, [])).toThrow(/empty/);
    expect(() => standardise(A, selectStats(s, [0]))).toThrow(/concepts/);
  });
});
