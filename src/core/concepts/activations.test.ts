import { describe, expect, it } from 'vitest';
import { mulberry32, randNormal } from '../math/rng.ts';
import { mat } from '../math/linalg.ts';
import type { Mat } from '../types.ts';
import { conceptActivations, normaliseRows, type RegionEmbeddings } from './activations.ts';

/** Plain-loop reference: the formula of METHODS §2 written as literally as possible. */
function naive(images: RegionEmbeddings, concepts: Mat): Float32Array {
  const { N, R, D, data: X } = images;
  const M = concepts.rows;
  const out = new Float32Array(N * M);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < M; j++) {
      let best = -Infinity;
      for (let r = 0; r < R; r++) {
        let dot = 0, nx = 0, nt = 0;
        for (let d = 0; d < D; d++) {
          const x = X[(i * R + r) * D + d];
          const t = concepts.data[j * D + d];
          dot += x * t; nx += x * x; nt += t * t;
        }
        best = Math.max(best, dot / Math.sqrt(nx * nt));
      }
      out[i * M + j] = Math.max(0, best);
    }
  }
  return out;
}

function randomEmb(seed: number, N: number, R: number, D: number, scale = 1): RegionEmbeddings {
  const rng = mulberry32(seed);
  const data = new Float32Array(N * R * D);
  for (let k = 0; k < data.length; k++) data[k] = randNormal(rng) * scale;
  return { N, R, D, data };
}

describe('conceptActivations', () => {
  it('matches the literal formula for odd sizes (blocking remainders) and unnormalised inputs', () => {
    for (const [N, R, D, M] of [[7, 3, 5, 6], [4, 1, 8, 4], [5, 2, 3, 1], [3, 5, 16, 11]]) {
      const images = randomEmb(N * 100 + M, N, R, D, 3.7);
      const tx = randomEmb(M, M, 1, D, 0.2);
      const T = mat(M, D, tx.data);
      const got = conceptActivations(images, T, { blockImages: 2 });
      const want = naive(images, T);
      expect(got.rows).toBe(N);
      expect(got.cols).toBe(M);
      for (let k = 0; k < want.length; k++) expect(got.data[k]).toBeCloseTo(want[k], 5);
    }
  });

  it('takes the max over regions and clamps at 0', () => {
    // Image 0: region 0 = e1, region 1 = e2. Image 1: only −e1, −e2 (all cosines ≤ 0).
    const images: RegionEmbeddings = { N: 2, R: 2, D: 3, data: new Float32Array([1, 0, 0, 0, 2, 0, -1, 0, 0, 0, -1, 0]) };
    const T = mat(3, 3, new Float32Array([1, 0, 0, 0, 1, 0, 1, 1, 0]));
    const a = conceptActivations(images, T);
    expect(Array.from(a.data.subarray(0, 3)).map((v) => +v.toFixed(6))).toEqual([1, 1, +Math.SQRT1_2.toFixed(6)]);
    expect(Array.from(a.data.subarray(3))).toEqual([0, 0, 0]);
  });

  it('treats a zero region as cosine 0, not NaN', () => {
    const images: RegionEmbeddings = { N: 1, R: 2, D: 2, data: new Float32Array([0, 0, 0.6, 0.8]) };
    const a = conceptActivations(images, mat(1, 2, new Float32Array([0, 1])));
    expect(a.data[0]).toBeCloseTo(0.8, 6);
  });

  it('rejects mismatched shapes', () => {
    const images = randomEmb(1, 2, 2, 4);
    expect(() => conceptActivations(images, mat(3, 5))).toThrow(/dims/);
    expect(() => conceptActivations({ ...images, N: 3 }, mat(3, 4))).toThrow(/values/);
  });

  it('stops when cancelled', () => {
    const images = randomEmb(1, 10, 1, 4);
    expect(() => conceptActivations(images, mat(2, 4), { cancel: { aborted: true } })).toThrow(/cancelled/);
  });

  it('normaliseRows gives unit rows', () => {
    const n = normaliseRows(mat(2, 2, new Float32Array([3, 4, 0, 0])));
    expect(Array.from(n.data)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
  });
});
