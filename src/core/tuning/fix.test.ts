import { describe, expect, it } from 'vitest';
import type { LinearModel } from '../types.ts';
import { rankSymmetricFixes, symmetricFix } from './fix.ts';

function logitsOf(m: LinearModel, a: number[]): number[] {
  return Array.from({ length: m.C }, (_, c) => a.reduce((s, v, j) => s + m.W[c * m.M + j] * v, m.b[c]));
}

describe('symmetricFix', () => {
  const model: LinearModel = { C: 3, M: 2, W: new Float32Array([1, 0, 0, 1, 0.5, 0.5]), b: new Float32Array([0, 0, -1]) };
  const a = [2, -1]; // z = [2, -1, -0.5]: predicted 0, wanted 1

  it('leaves the wanted class ahead by exactly the margin', () => {
    const z = logitsOf(model, a);
    for (const j of [0, 1]) {
      const f = symmetricFix(model, z, a, 0, 1, j)!;
      expect(f.delta).toBeCloseTo((z[0] - z[1] + 0.2) / (2 * a[j]), 12);
      const W = model.W.slice();
      W[1 * 2 + j] = f.newWanted;
      W[0 * 2 + j] = f.newPredicted;
      const z2 = logitsOf({ ...model, W }, a);
      expect(z2[1] - z2[0]).toBeCloseTo(0.2, 5);
      expect(z2[2]).toBeCloseTo(z[2], 12); // other classes untouched
      expect(f.winsAfter).toBe(true);
    }
  });

  it('reports when a third class still leads, and null for a silent concept', () => {
    const z = [1, 0, 0.9];
    const f = symmetricFix(model, z, [1, 1], 0, 1, 0, 0.2)!; // z1 → 0.6, z0 → 0.4, class 2 at 0.9
    expect(f.winsAfter).toBe(false);
    expect(symmetricFix(model, z, [0, 1], 0, 1, 0)).toBeNull();
    expect(() => symmetricFix(model, z, [0, 1], 1, 1, 0)).toThrow(/already/);
  });

  it('ranks working fixes first, then by |Δ|', () => {
    const z = logitsOf(model, a);
    const r = rankSymmetricFixes(model, z, a, 0, 1);
    expect(r.map((f) => f.concept)).toEqual([0, 1]); // |â| = 2 needs half the Δ of |â| = 1
    expect(Math.abs(r[0].delta)).toBeLessThan(Math.abs(r[1].delta));
  });
});
