import { describe, expect, it } from 'vitest';
import { mulberry32, randNormal } from '../math/rng.ts';
import { logits } from '../math/linalg.ts';
import { createJsKernel, gemmABt, gemmAtB } from './jsKernel.ts';
import { softplus, type ColumnSet, type RowWeights } from './kernel.ts';
import { bootstrapWeights } from './fit.ts';

function randMat(rows: number, cols: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: rows * cols }, () => scale * randNormal(r));
}

function probs(rows: number, cols: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: rows * cols }, () => r());
}

/** Column loss straight from the definition, float64 throughout. */
function columnLoss(A: Float32Array, P: Float32Array, N: number, M: number, C: number, w: Float64Array, b: number, cls: number, rowW: Float32Array, K: number, mem: number): number {
  let s = 0;
  for (let i = 0; i < N; i++) {
    let z = b;
    for (let m = 0; m < M; m++) z += w[m] * A[i * M + m];
    s += rowW[i * K + mem] * (softplus(z) - P[i * C + cls] * z);
  }
  return s;
}

describe('JS kernel GEMMs', () => {
  // Odd sizes exercise every remainder path of the register blocking.
  for (const [N, M, J] of [
    [7, 5, 3],
    [9, 13, 6],
    [4, 1, 4],
    [1, 3, 1],
  ]) {
    it(`A·Wᵀ + b and Rᵀ·A match naive loops at ${N}×${M}, J=${J}`, () => {
      const A = randMat(N, M, 1);
      const W = randMat(J, M, 2);
      const b = randMat(1, J, 3);
      const Z = new Float32Array(N * J);
      gemmABt(A, N, M, W, b, J, Z);
      const R = Float64Array.from(randMat(N, J, 4));
      const G = new Float64Array(J * M);
      gemmAtB(R, N, J, A, M, G);
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < J; j++) {
          let s = b[j];
          for (let m = 0; m < M; m++) s += A[i * M + m] * W[j * M + m];
          expect(Z[i * J + j]).toBeCloseTo(s, 5);
        }
      }
      for (let j = 0; j < J; j++) {
        for (let m = 0; m < M; m++) {
          let s = 0;
          for (let i = 0; i < N; i++) s += R[i * J + j] * A[i * M + m];
          expect(G[j * M + m]).toBeCloseTo(s, 10);
        }
      }
    });
  }
});

describe('JS kernel', () => {
  const N = 41;
  const M = 6;
  const C = 3;
  const A = randMat(N, M, 11);
  const P = probs(N, C, 12);
  const kernel = createJsKernel({ rows: N, cols: M, data: A }, { rows: N, cols: C, data: P });
  // Columns in a scrambled order, two members with bootstrap weights: the general case.
  const cols: ColumnSet = { J: 5, cls: Int32Array.from([2, 0, 1, 0, 2]), mem: Int32Array.from([0, 1, 1, 0, 1]) };
  const rowW: RowWeights = bootstrapWeights(N, 2, 7);
  const W = randMat(cols.J, M, 13, 0.5);
  const b = randMat(1, cols.J, 14, 0.5);

  it('forward gives the logits of linalg.logits and the definition of the loss', async () => {
    const { Z, loss } = await kernel.forward(W, b, cols, rowW);
    for (let j = 0; j < cols.J; j++) {
      const ref = logits({ rows: N, cols: M, data: A }, { W: W.slice(j * M, (j + 1) * M), b: b.slice(j, j + 1), C: 1, M });
      for (let i = 0; i < N; i++) expect(Z[i * cols.J + j]).toBeCloseTo(ref.data[i], 5);
      const w = Float64Array.from(W.subarray(j * M, (j + 1) * M));
      expect(loss[j]).toBeCloseTo(columnLoss(A, P, N, M, C, w, b[j], cols.cls[j], rowW.data, 2, cols.mem[j]), 6);
    }
  });

  it('backward gradient matches central finite differences of the loss', async () => {
    const { Z } = await kernel.forward(W, b, cols, rowW);
    const g = await kernel.backward(Z, cols, rowW);
    const h = 1e-5;
    for (let j = 0; j < cols.J; j++) {
      const w = Float64Array.from(W.subarray(j * M, (j + 1) * M));
      const f = (ww: Float64Array, bb: number) => columnLoss(A, P, N, M, C, ww, bb, cols.cls[j], rowW.data, 2, cols.mem[j]);
      for (let m = 0; m < M; m++) {
        const up = Float64Array.from(w);
        const dn = Float64Array.from(w);
        up[m] += h;
        dn[m] -= h;
        const fd = (f(up, b[j]) - f(dn, b[j])) / (2 * h);
        // Z is float32, so the analytic side carries ~1e-7 relative error.
        expect(Math.abs(g.gradW[j * M + m] - fd)).toBeLessThan(1e-5 + 1e-4 * Math.abs(fd));
      }
      const fdb = (f(w, b[j] + h) - f(w, b[j] - h)) / (2 * h);
      expect(Math.abs(g.gradb[j] - fdb)).toBeLessThan(1e-5 + 1e-4 * Math.abs(fdb));
    }
  });

  it('a wrong gradient would be caught (the check above can fail)', async () => {
    const { Z } = await kernel.forward(W, b, cols, rowW);
    const g = await kernel.backward(Z, cols, rowW);
    const w = Float64Array.from(W.subarray(0, M));
    const h = 1e-5;
    const up = Float64Array.from(w);
    up[0] += h;
    const dn = Float64Array.from(w);
    dn[0] -= h;
    // Pretend the gradient ignored the row weights (a classic bug): it must disagree.
    const f = (ww: Float64Array) => columnLoss(A, P, N, M, C, ww, b[0], cols.cls[0], new Float32Array(N * 2).fill(1 / N), 2, cols.mem[0]);
    const wrongFd = (f(up) - f(dn)) / (2 * h);
    expect(Math.abs(g.gradW[0] - wrongFd)).toBeGreaterThan(1e-4);
  });

  it('backward loss equals forward loss at the same logits', async () => {
    const fw = await kernel.forward(W, b, cols, rowW);
    const bw = await kernel.backward(fw.Z, cols, rowW);
    for (let j = 0; j < cols.J; j++) expect(bw.loss[j]).toBeCloseTo(fw.loss[j], 6);
  });

  it('rejects columns that point outside the data', async () => {
    const bad: ColumnSet = { J: 1, cls: Int32Array.from([C]), mem: Int32Array.from([0]) };
    await expect(kernel.forward(W.subarray(0, M), b.subarray(0, 1), bad, rowW)).rejects.toThrow(/class/);
    const badMem: ColumnSet = { J: 1, cls: Int32Array.from([0]), mem: Int32Array.from([2]) };
    await expect(kernel.forward(W.subarray(0, M), b.subarray(0, 1), badMem, rowW)).rejects.toThrow(/member/);
  });
});

describe('softplus', () => {
  it('is stable at large |z|', () => {
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 12);
  });
});
