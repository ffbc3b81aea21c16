import { describe, expect, it } from 'vitest';
import type { LinearModel } from '../types.ts';
import {
  applyBounds,
  constrainedWeights,
  freeBox,
  releaseBound,
  tuneBounds,
  tuneBox,
  tuneInterval,
} from './bounds.ts';

const iv = (kind: Parameters<typeof tuneInterval>[0], w0: number, o = {}) => {
  const r = tuneInterval(kind, w0, o);
  return [r.lo, r.hi];
};

describe('tuneInterval', () => {
  it('uptune: [w0, x·w0] for w0 > 0, [w0, w0 + (x−1)|w0|] for w0 ≤ 0', () => {
    expect(iv('uptune', 0.5)).toEqual([0.5, 1]);
    expect(iv('uptune', 0.5, { factor: 3 })).toEqual([0.5, 1.5]);
    expect(iv('uptune', -0.5)).toEqual([-0.5, 0]);
    expect(iv('uptune', -0.5, { factor: 3 })).toEqual([-0.5, 0.5]);
    expect(iv('uptune', 0)).toEqual([0, 0]);
    expect(tuneInterval('uptune', 0).note).toMatch(/must count for/);
  });

  it('uptune "must count for" floors both ends at ε', () => {
    expect(iv('uptune', -0.5, { mustCount: true, epsilon: 0.01 })).toEqual([0.01, 0.01]);
    expect(iv('uptune', -0.5, { factor: 3, mustCount: true, epsilon: 0.01 })).toEqual([0.01, 0.5]);
    expect(iv('uptune', 0, { mustCount: true })).toEqual([1e-3, 1e-3]);
    expect(iv('uptune', 0.5, { mustCount: true })).toEqual([0.5, 1]);
    expect(() => tuneInterval('uptune', 1, { mustCount: true, epsilon: 0 })).toThrow(/ε/);
  });

  it('downtune: [w0/x, w0] for w0 > 0, mirrored in value for w0 < 0', () => {
    expect(iv('downtune', 0.8)).toEqual([0.4, 0.8]);
    expect(iv('downtune', 0.8, { factor: 4 })).toEqual([0.2, 0.8]);
    expect(iv('downtune', -0.5)).toEqual([-1, -0.5]);
    expect(iv('downtune', -0.5, { factor: 3 })).toEqual([-1.5, -0.5]);
    expect(iv('downtune', 0)).toEqual([0, 0]);
  });

  it('remove is between 0 and w0; ban is [0, 0]', () => {
    expect(iv('remove', 0.8)).toEqual([0, 0.8]);
    expect(iv('remove', -0.3)).toEqual([-0.3, 0]);
    expect(iv('ban', 0.8)).toEqual([0, 0]);
  });

  it('rejects factors that are not > 1', () => {
    for (const f of [1, 0.5, 0, -2, NaN, Infinity]) {
      expect(() => tuneInterval('uptune', 1, { factor: f })).toThrow(/greater than 1/);
      expect(() => tuneInterval('downtune', 1, { factor: f })).toThrow(/greater than 1/);
    }
    expect(() => tuneInterval('remove', NaN)).toThrow(/finite/);
  });
});

describe('tune boxes', () => {
  // C = 2 classes, M = 3 concepts.
  const model: LinearModel = { C: 2, M: 3, W: new Float32Array([0.5, -0.5, 0, 1, 2, -1]), b: new Float32Array(2) };

  it('maps actions to the right weights, ban for one class or all', () => {
    expect(tuneBounds({ kind: 'uptune', c: 1, j: 2 }, model)).toEqual([{ c: 1, j: 2, lo: -1, hi: 0 }]);
    expect(tuneBounds({ kind: 'ban', j: 1, c: 0 }, model)).toEqual([{ c: 0, j: 1, lo: 0, hi: 0 }]);
    expect(tuneBounds({ kind: 'ban', j: 1 }, model)).toEqual([
      { c: 0, j: 1, lo: 0, hi: 0 },
      { c: 1, j: 1, lo: 0, hi: 0 },
    ]);
    expect(tuneBounds({ kind: 'ban', j: 1, c: 'all' }, model)).toHaveLength(2);
    expect(() => tuneBounds({ kind: 'remove', c: 2, j: 0 }, model)).toThrow(/class 2/);
    expect(() => tuneBounds({ kind: 'remove', c: 0, j: 3 }, model)).toThrow(/concept 3/);
  });

  it('builds a box with ±∞ elsewhere and lists what it constrains', () => {
    const { box } = tuneBox([{ kind: 'downtune', c: 1, j: 1, factor: 4 }, { kind: 'ban', j: 0 }], model);
    expect(Array.from(box.lo)).toEqual([0, -Infinity, -Infinity, 0, 0.5, -Infinity]);
    expect(Array.from(box.hi)).toEqual([0, Infinity, Infinity, 0, 2, Infinity]);
    expect(constrainedWeights(box, 3).map((b) => [b.c, b.j])).toEqual([[0, 0], [1, 0], [1, 1]]);
    const freed = releaseBound(box, 3, 1, 1);
    expect(constrainedWeights(freed, 3)).toHaveLength(2);
    expect(constrainedWeights(box, 3)).toHaveLength(3); // inputs are never mutated
  });

  it('merges into an existing box: replace by default, intersect on request', () => {
    const { box: b1 } = tuneBox([{ kind: 'uptune', c: 0, j: 0 }], model); // [0.5, 1]
    const { box: b2 } = tuneBox([{ kind: 'remove', c: 0, j: 0 }], model, b1); // [0, 0.5]
    expect([b2.lo[0], b2.hi[0]]).toEqual([0, 0.5]);
    const { box: b3 } = tuneBox([{ kind: 'remove', c: 0, j: 0 }], model, b1, 'intersect');
    expect([b3.lo[0], b3.hi[0]]).toEqual([0.5, 0.5]);
    expect(() => applyBounds(b1, 3, [{ c: 0, j: 0, lo: -1, hi: 0 }], 'intersect')).toThrow(/does not overlap/);
    expect(() => applyBounds(freeBox(2, 3), 3, [{ c: 0, j: 0, lo: 1, hi: 0 }])).toThrow(/empty/);
    expect(() => tuneBox([], model, freeBox(3, 3))).toThrow(/box/);
  });
});
