import { describe, expect, it } from 'vitest';
import { trainHeldOutSplit } from './split.ts';

describe('trainHeldOutSplit', () => {
  const labels = Int32Array.from({ length: 103 }, (_, i) => (i < 90 ? i % 3 : i < 100 ? 3 : i < 102 ? 4 : 5));

  it('partitions the images, reproducibly from the seed', () => {
    const a = trainHeldOutSplit(labels, { seed: 7 });
    const b = trainHeldOutSplit(labels, { seed: 7 });
    const c = trainHeldOutSplit(labels, { seed: 8 });
    expect(Array.from(a.heldOut)).toEqual(Array.from(b.heldOut));
    expect(Array.from(a.heldOut)).not.toEqual(Array.from(c.heldOut));
    const all = [...a.train, ...a.heldOut].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(Array.from(a.train)).toEqual([...a.train].sort((x, y) => x - y));
  });

  it('stratifies by label: round(f·n) per class, rare classes on both sides', () => {
    const s = trainHeldOutSplit(labels, { seed: 1, heldOutFraction: 0.2 });
    const count = (idx: Int32Array, c: number) => Array.from(idx).filter((i) => labels[i] === c).length;
    for (const c of [0, 1, 2]) expect(count(s.heldOut, c)).toBe(6);
    expect(count(s.heldOut, 3)).toBe(2);
    expect(count(s.heldOut, 4)).toBe(1); // round(0.4) = 0, clamped to 1
    expect(count(s.train, 4)).toBe(1);
    expect(count(s.heldOut, 5)).toBe(0); // a single image trains
  });

  it('accepts a plain count and rejects bad fractions', () => {
    const s = trainHeldOutSplit(10, { heldOutFraction: 0.3, seed: 3 });
    expect(s.heldOut.length).toBe(3);
    expect(() => trainHeldOutSplit(10, { heldOutFraction: 1 })).toThrow(/fraction/);
  });
});
