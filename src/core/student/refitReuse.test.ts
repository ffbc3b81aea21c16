/**
 * A refit on a kernel that has solved these members before skips the member columns it left
 * converged for the same problem (fit.ts, `SolvedColumns`) and starts the others from its last
 * step sizes. These tests pin down that the answer stays the answer: the warm refit agrees with
 * a cold solve of the same bounded problem (from zero weights, on a fresh kernel) and with a
 * refit that solves every column, and it skips only what it may skip.
 */
import { describe, expect, it } from 'vitest';
import type { Box, Ensemble, LinearModel, Mat } from '../types.ts';
import { argmaxRows, logits, takeRows } from '../math/linalg.ts';
import { bootstrapWeights, fitEnsembleDetailed, refitWithBoundsDetailed } from './fit.ts';
import { createJsKernel } from './jsKernel.ts';
import type { ColumnSet, StudentKernel } from './kernel.ts';
import { syntheticProblem } from './synthetic.ts';
import { tuneBox } from '../tuning/bounds.ts';

const C = 4;
const M = 24;
const pr = syntheticProblem({ N: 1000, M, C, seed: 11 });
const train = Array.from({ length: 800 }, (_, i) => i);
const test = Array.from({ length: 200 }, (_, i) => 800 + i);
const A = takeRows(pr.A, train);
const P = takeRows(pr.P, train);
const At = takeRows(pr.A, test);
const K = 5;
const SEED = 5;

/** One kernel for the whole "session", recording which classes each call touched. */
function recording(): StudentKernel & { classes: Set<number>; calls: number; reset(): void } {
  const k = createJsKernel(A, P);
  const seen = new Set<number>();
  const note = (cols: ColumnSet) => {
    rec.calls++;
    for (const c of cols.cls) seen.add(c);
  };
  const rec = {
    name: k.name, N: k.N, M: k.M, C: k.C, lossEps: k.lossEps,
    classes: seen,
    calls: 0,
    reset() {
      seen.clear();
      rec.calls = 0;
    },
    forward: (W: Float32Array, b: Float32Array, cols: ColumnSet, rowW: Parameters<StudentKernel['forward']>[3]) => (note(cols), k.forward(W, b, cols, rowW)),
    backward: (Z: Float32Array, cols: ColumnSet, rowW: Parameters<StudentKernel['backward']>[2]) => (note(cols), k.backward(Z, cols, rowW)),
    dispose: () => k.dispose(),
  };
  return rec;
}

/** Largest |difference| between two weight vectors. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let q = 0; q < a.length; q++) d = Math.max(d, Math.abs(a[q] - b[q]));
  return d;
}

function agreement(a: LinearModel, b: LinearModel, X: Mat): number {
  const pa = argmaxRows(logits(X, a));
  const pb = argmaxRows(logits(X, b));
  let s = 0;
  for (let i = 0; i < pa.length; i++) s += pa[i] === pb[i] ? 1 : 0;
  return s / pa.length;
}

/**
 * Worst violation of the box-constrained L1 optimality conditions of one member (float64), in
 * the units of the solver's tolerance (gradient mapping ‖·‖∞ as the step → 0).
 */
function kkt(model: LinearModel, m: number, box: Box | null, lambda = 1e-4): number {
  const rowW = bootstrapWeights(A.rows, K, SEED);
  let worst = 0;
  for (let c = 0; c < C; c++) {
    const g = new Float64Array(M);
    let gb = 0;
    for (let i = 0; i < A.rows; i++) {
      const s = rowW.data[i * K + m];
      if (s === 0) continue;
      let z = model.b[c];
      for (let j = 0; j < M; j++) z += model.W[c * M + j] * A.data[i * M + j];
      const r = s * (1 / (1 + Math.exp(-z)) - P.data[i * C + c]);
      gb += r;
      for (let j = 0; j < M; j++) g[j] += r * A.data[i * M + j];
    }
    worst = Math.max(worst, Math.abs(gb));
    for (let j = 0; j < M; j++) {
      const q = c * M + j;
      const w = model.W[q];
      const up = g[j] + lambda * (w >= 0 ? 1 : -1);
      const down = -g[j] + lambda * (w <= 0 ? 1 : -1);
      if (w < (box ? box.hi[q] : Infinity)) worst = Math.max(worst, -up);
      if (w > (box ? box.lo[q] : -Infinity)) worst = Math.max(worst, -down);
    }
  }
  return worst;
}

async function distilled(kernel: StudentKernel, opts: { memberTol?: number; memberMaxIter?: number } = {}): Promise<Ensemble> {
  return (await fitEnsembleDetailed(A, P, { kernel, members: K, seed: SEED, tol: 1e-6, memberTol: opts.memberTol ?? 1e-6, memberMaxIter: opts.memberMaxIter ?? 2000, maxIter: 5000 })).ensemble;
}

/** Uptune ×2 the largest positive weight of class 1 (the studio's ↑ button). */
function uptuneBox(e: Ensemble): { box: Box; q: number } {
  let j = 0;
  for (let t = 1; t < M; t++) if (e.served.W[1 * M + t] > e.served.W[1 * M + j]) j = t;
  return { box: tuneBox([{ kind: 'uptune', c: 1, j, factor: 2 }], e.served).box, q: 1 * M + j };
}

describe('refit on a kept kernel (reuse of solved columns)', { timeout: 120_000 }, () => {
  it('solves only the tuned class, and agrees with a cold solve and with a full refit', async () => {
    const kernel = recording();
    const ens = await distilled(kernel);
    const { box, q } = uptuneBox(ens);
    kernel.reset();
    const warm = await refitWithBoundsDetailed(A, P, ens, box, { kernel, seed: SEED, memberTol: 1e-6, memberMaxIter: 2000 });
    // The classes whose boxes did not change were converged already: never sent to the kernel.
    expect([...kernel.classes]).toEqual([1]);
    expect(warm.solvedColumns).toBe(K);
    expect(warm.totalColumns).toBe(K * C);
    expect(warm.iterations).toBeGreaterThan(0);

    // The same refit solving every column, on a fresh kernel.
    const full = await refitWithBoundsDetailed(A, P, ens, box, { seed: SEED, memberTol: 1e-6, memberMaxIter: 2000 });
    expect(full.solvedColumns).toBe(K * C);
    // A cold solve of the bounded problem: from zero weights, fresh kernel, full fit then members.
    const cold = await fitEnsembleDetailed(A, P, { members: K, seed: SEED, bounds: box, tol: 1e-6, memberTol: 1e-6, memberMaxIter: 2000, maxIter: 5000 });

    const w = warm.ensemble;
    expect(w.served.W[q]).toBeGreaterThanOrEqual(box.lo[q]);
    expect(maxDiff(w.served.W, cold.ensemble.served.W)).toBeLessThan(2e-3);
    expect(maxDiff(w.served.b, cold.ensemble.served.b)).toBeLessThan(2e-3);
    expect(maxDiff(w.served.W, full.ensemble.served.W)).toBeLessThan(2e-3);
    expect(agreement(w.served, cold.ensemble.served, At)).toBeGreaterThanOrEqual(0.99);
    for (let m = 0; m < K; m++) expect(kkt(w.members[m], m, box)).toBeLessThan(2e-5);
    // The band (p10/p90 over members) is the cold one too.
    expect(maxDiff(w.lo, cold.ensemble.lo)).toBeLessThan(2e-3);
    expect(maxDiff(w.hi, cold.ensemble.hi)).toBeLessThan(2e-3);
  });

  it('at the studio defaults the warm refit matches the cold refit within the member tolerance', async () => {
    const kernel = recording();
    const ens = (await fitEnsembleDetailed(A, P, { kernel, members: K, seed: SEED })).ensemble;
    const { box } = uptuneBox(ens);
    const warm = await refitWithBoundsDetailed(A, P, ens, box, { kernel, seed: SEED });
    const cold = await refitWithBoundsDetailed(A, P, ens, box, { seed: SEED, reuseSolved: false });
    expect(warm.solvedColumns).toBeLessThan(cold.solvedColumns);
    expect(maxDiff(warm.ensemble.served.W, cold.ensemble.served.W)).toBeLessThan(2e-2);
    expect(agreement(warm.ensemble.served, cold.ensemble.served, At)).toBeGreaterThanOrEqual(0.98);
  });

  it('uptune, undo, downtune: each refit from the distilled members solves only the tuned class', async () => {
    const kernel = recording();
    const ens = await distilled(kernel);
    const { box: up } = uptuneBox(ens);
    await refitWithBoundsDetailed(A, P, ens, up, { kernel, seed: SEED, memberTol: 1e-6, memberMaxIter: 2000 });
    // Undo = start again from the distilled members; downtune the same weight.
    let j = 0;
    for (let t = 1; t < M; t++) if (ens.served.W[1 * M + t] > ens.served.W[1 * M + j]) j = t;
    const down = tuneBox([{ kind: 'downtune', c: 1, j, factor: 2 }], ens.served).box;
    kernel.reset();
    const r = await refitWithBoundsDetailed(A, P, ens, down, { kernel, seed: SEED, memberTol: 1e-6, memberMaxIter: 2000 });
    expect([...kernel.classes]).toEqual([1]);
    const cold = await fitEnsembleDetailed(A, P, { members: K, seed: SEED, bounds: down, tol: 1e-6, memberTol: 1e-6, memberMaxIter: 2000, maxIter: 5000 });
    expect(maxDiff(r.ensemble.served.W, cold.ensemble.served.W)).toBeLessThan(2e-3);
  });

  it('solves a column again when its start, its problem or the tolerance differ', async () => {
    const kernel = recording();
    const ens = await distilled(kernel);
    // A quick edit moved one member's weight of class 2: that member's class-2 column is no
    // longer the point the solver returned, so it is solved (back to the optimum).
    const edited: Ensemble = { ...ens, members: ens.members.map((m, k) => (k === 3 ? { ...m, W: m.W.map((w, q) => (q === 2 * M + 4 ? w + 0.5 : w)) } : m)) };
    kernel.reset();
    const r = await refitWithBoundsDetailed(A, P, edited, null, { kernel, seed: SEED, memberTol: 1e-6, memberMaxIter: 2000 });
    expect(r.solvedColumns).toBe(1);
    expect([...kernel.classes]).toEqual([2]);
    expect(kkt(r.ensemble.members[3], 3, null)).toBeLessThan(2e-5);
    expect(Math.abs(r.ensemble.members[3].W[2 * M + 4] - ens.members[3].W[2 * M + 4])).toBeLessThan(2e-3);

    // Another seed (other resamples), another λ, a tighter tolerance: nothing is reused.
    for (const o of [{ seed: SEED + 1 }, { seed: SEED, lambda: 2e-4 }, { seed: SEED, memberTol: 1e-5 }]) {
      const k2 = recording();
      const base = (await fitEnsembleDetailed(A, P, { kernel: k2, members: K, seed: SEED })).ensemble;
      expect((await refitWithBoundsDetailed(A, P, base, null, { kernel: k2, seed: SEED })).solvedColumns).toBe(0);
      const again = await refitWithBoundsDetailed(A, P, base, null, { kernel: k2, memberMaxIter: 3, ...o });
      expect(again.solvedColumns).toBe(K * C);
    }
    // `reuseSolved: false` solves every column.
    const off = await refitWithBoundsDetailed(A, P, ens, null, { kernel, seed: SEED, memberTol: 1e-6, memberMaxIter: 3, reuseSolved: false });
    expect(off.solvedColumns).toBe(K * C);
  }, 120_000);

  it('columns stopped by the iteration cap are not treated as solved: the refit finishes them', async () => {
    const kernel = recording();
    const capped = await distilled(kernel, { memberTol: 1e-6, memberMaxIter: 2 });
    const r = await refitWithBoundsDetailed(A, P, capped, null, { kernel, seed: SEED, memberTol: 1e-6, memberMaxIter: 2000 });
    expect(r.solvedColumns).toBeGreaterThan(0);
    for (let m = 0; m < K; m++) expect(kkt(r.ensemble.members[m], m, null)).toBeLessThan(2e-5);
    const cold = await fitEnsembleDetailed(A, P, { members: K, seed: SEED, tol: 1e-6, memberTol: 1e-6, memberMaxIter: 2000, maxIter: 5000 });
    expect(maxDiff(r.ensemble.served.W, cold.ensemble.served.W)).toBeLessThan(2e-3);
  });

  it('the same start and problem as last time: the same end, without the kernel', async () => {
    const kernel = recording();
    const ens = await distilled(kernel);
    const { box } = uptuneBox(ens);
    const first = await refitWithBoundsDetailed(A, P, ens, box, { kernel, seed: SEED, memberTol: 1e-6, memberMaxIter: 2000 });
    kernel.reset();
    const again = await refitWithBoundsDetailed(A, P, ens, box, { kernel, seed: SEED, memberTol: 1e-6, memberMaxIter: 2000 });
    expect(kernel.calls).toBe(0);
    expect(Array.from(again.ensemble.served.W)).toEqual(Array.from(first.ensemble.served.W));
  });

  it('columns the distil left at the iteration cap are finished once, and that end is reused after an undo', async () => {
    const kernel = recording();
    const capOpts = { memberTol: 1e-6, memberMaxIter: 6 };
    const ens = await distilled(kernel, capOpts);
    const { box: up } = uptuneBox(ens);
    const r1 = await refitWithBoundsDetailed(A, P, ens, up, { kernel, seed: SEED, ...capOpts });
    expect(r1.solvedColumns).toBeGreaterThan(K); // class 1 and the capped columns of other classes
    // Undo, downtune: the capped columns start where they started in the uptune, so they end
    // where they ended then; only class 1 is solved.
    let j = 0;
    for (let t = 1; t < M; t++) if (ens.served.W[1 * M + t] > ens.served.W[1 * M + j]) j = t;
    const down = tuneBox([{ kind: 'downtune', c: 1, j, factor: 2 }], ens.served).box;
    kernel.reset();
    const r2 = await refitWithBoundsDetailed(A, P, ens, down, { kernel, seed: SEED, ...capOpts });
    expect([...kernel.classes]).toEqual([1]);
    for (let c = 0; c < C; c++) {
      if (c === 1) continue;
      for (let m = 0; m < K; m++) {
        expect(Array.from(r2.ensemble.members[m].W.subarray(c * M, (c + 1) * M))).toEqual(Array.from(r1.ensemble.members[m].W.subarray(c * M, (c + 1) * M)));
      }
    }
    // A higher cap than last time: the capped ends are not final any more.
    const more = await refitWithBoundsDetailed(A, P, ens, down, { kernel, seed: SEED, memberTol: 1e-6, memberMaxIter: 2000 });
    expect(more.solvedColumns).toBeGreaterThan(K);
  });

  it('a refit with nothing new to solve returns the members as they are, without touching the kernel', async () => {
    const kernel = recording();
    const ens = await distilled(kernel);
    kernel.reset();
    const r = await refitWithBoundsDetailed(A, P, ens, null, { kernel, seed: SEED, memberTol: 1e-6 });
    expect(r.solvedColumns).toBe(0);
    expect(kernel.calls).toBe(0);
    for (let m = 0; m < K; m++) expect(Array.from(r.ensemble.members[m].W)).toEqual(Array.from(ens.members[m].W));
  });
});
