import { describe, expect, it } from 'vitest';
import { mat } from '../math/linalg.ts';
import {
  applyHygieneOverrides,
  conceptHygiene,
  describeDrop,
  dropOf,
  foldName,
  percentile,
  topKMeans,
} from './hygiene.ts';

const D = 6;
function e(k: number, extra: Record<number, number> = {}): number[] {
  const v = new Array(D).fill(0);
  v[k] = 1;
  for (const [i, x] of Object.entries(extra)) v[+i] += x;
  return v;
}

// A corpus where each check fires exactly once.
const names = ['Rust', '  rust ', 'rusty car', 'orange stain', 'orange  spot', 'wheel', 'sky'];
const conceptEmbeddings = mat(7, D, new Float32Array([
  ...e(0), // 0 Rust
  ...e(1), // 1 same name as 0, different embedding: only the name check can catch it
  ...e(2, { 0: 0.1 }), // 2 ≈ class "rusty" (cos 0.995)
  ...e(3), // 3
  ...e(3, { 4: 0.1 }), // 4 ≈ concept 3 (cos 0.995)
  ...e(4), // 5
  ...e(5), // 6 never fires
]));
const classEmbeddings = mat(2, D, new Float32Array([...e(2), 1, 1, 0, 0, 1, 0]));
const N = 10;
const acts = new Float32Array(N * 7);
for (let i = 0; i < N; i++) for (let j = 0; j < 7; j++) acts[i * 7 + j] = j === 6 ? 0.01 : 0.2 + 0.01 * j + 0.001 * i;
const activations = mat(N, 7, acts);

describe('conceptHygiene', () => {
  const res = conceptHygiene({ names, conceptEmbeddings, classEmbeddings, activations });

  it('keeps only the clean concepts', () => {
    expect(res.kept).toEqual([0, 3, 5]);
    expect(res.dropped.map((d) => [d.concept, d.kind])).toEqual([
      [1, 'duplicate-name'],
      [2, 'class-leak'],
      [4, 'near-duplicate'],
      [6, 'never-fires'],
    ]);
  });

  it('reports the other party and the number of each drop', () => {
    expect(dropOf(res, 1)).toEqual({ kind: 'duplicate-name', concept: 1, other: 0, name: 'rust' });
    const leak = dropOf(res, 2);
    expect(leak?.kind === 'class-leak' && leak.classIndex).toBe(0);
    expect(leak?.kind === 'class-leak' && leak.cosine).toBeCloseTo(1 / Math.sqrt(1.01), 5);
    const dup = dropOf(res, 4);
    expect(dup?.kind === 'near-duplicate' && dup.other).toBe(3);
    const nf = dropOf(res, 6);
    expect(nf?.kind === 'never-fires' && nf.top5Mean).toBeCloseTo(0.01, 6);
    expect(nf?.kind === 'never-fires' && nf.cutoff).toBeGreaterThan(0.01);
    expect(dropOf(res, 0)).toBeUndefined();
    expect(describeDrop(dropOf(res, 2)!, names, ['rusty', 'ok'])).toMatch(/"rusty car" is too close to the class "rusty"/);
    expect(describeDrop(dropOf(res, 4)!, names)).toMatch(/near-duplicate of "orange stain"/);
  });

  it('undo: overrides re-include a dropped concept or exclude a kept one', () => {
    expect(applyHygieneOverrides(res)).toEqual([0, 3, 5]);
    expect(applyHygieneOverrides(res, { include: [2] })).toEqual([0, 2, 3, 5]);
    expect(applyHygieneOverrides(res, { include: [6, 4], exclude: [0] })).toEqual([3, 4, 5, 6]);
    expect(() => applyHygieneOverrides(res, { include: [2], exclude: [2] })).toThrow(/both/);
    expect(() => applyHygieneOverrides(res, { include: [7] })).toThrow(/outside/);
    expect(res.kept).toEqual([0, 3, 5]); // the result itself is untouched
  });

  it('skips checks whose inputs are missing, and respects thresholds', () => {
    const r = conceptHygiene({ names, conceptEmbeddings });
    expect(r.kept).toEqual([0, 2, 3, 5, 6]);
    expect(Number.isNaN(r.fireCutoff)).toBe(true);
    const loose = conceptHygiene({ names, conceptEmbeddings, classEmbeddings }, { classCosine: 0.999, mergeCosine: 0.999 });
    expect(loose.kept).toEqual([0, 2, 3, 4, 5, 6]);
  });

  it('merges into kept representatives only (no chains), keeping the earlier index', () => {
    const ang = [0, 18, 36].map((d) => (d * Math.PI) / 180);
    const emb = mat(3, 2, new Float32Array(ang.flatMap((a) => [Math.cos(a), Math.sin(a)])));
    const r = conceptHygiene({ names: ['a', 'b', 'c'], conceptEmbeddings: emb });
    // b ~ a (0.951) merges into a; c ~ b (0.951) but b is gone and c·a = 0.809, so c stays.
    expect(r.kept).toEqual([0, 2]);
    expect(r.dropped).toHaveLength(1);
    expect(r.dropped[0]).toMatchObject({ kind: 'near-duplicate', concept: 1, other: 0 });
  });

  it('drops empty names and validates shapes', () => {
    const r = conceptHygiene({ names: ['x', '   '], conceptEmbeddings: mat(2, 2, new Float32Array([1, 0, 0, 1])) });
    expect(r.dropped).toEqual([{ kind: 'empty-name', concept: 1 }]);
    expect(() => conceptHygiene({ names: ['x'], conceptEmbeddings: mat(2, 2) })).toThrow(/names/);
  });
});

describe('hygiene helpers', () => {
  it('folds case, whitespace and compatibility forms', () => {
    expect(foldName('  Rusty \t Metal ')).toBe('rusty metal');
    expect(foldName('ｒｕｓｔ')).toBe('rust');
  });
  it('percentile interpolates linearly', () => {
    expect(percentile([4, 1, 3, 2], 10)).toBeCloseTo(1.3, 12);
    expect(percentile([5], 10)).toBe(5);
    expect(percentile([1, 2, 3], 100)).toBe(3);
  });
  it('topKMeans averages the k largest per column', () => {
    const A = mat(6, 2, new Float32Array([1, 0, 6, 0, 2, 0, 5, 9, 3, 0, 4, 0]));
    expect(Array.from(topKMeans(A, 2))).toEqual([5.5, 4.5]);
    expect(Array.from(topKMeans(mat(2, 1, new Float32Array([1, 3])), 5))).toEqual([2]);
  });
});
