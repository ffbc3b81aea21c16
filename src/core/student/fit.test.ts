import { describe, expect, it } from 'vitest';
import { CancelledError, type Box, type LinearModel, type Mat } from '../types.ts';
import { argmaxRows, logits, takeRows } from '../math/linalg.ts';
import { fitEnsemble, fitEnsembleDetailed, fitStudent, objective, refitWithBounds, bootstrapWeights, summariseMembers } from './fit.ts';
import { syntheticProblem } from './synthetic.ts';

/** Gradient of the smooth part (weighted mean BCE) in float64, C×M and C. */
function smoothGradient(A: Mat, P: Mat, model: LinearModel, s?: Float32Array): { gW: Float64Array; gb: Float64Array } {
  const { rows: N, cols: M } = A;
  const C = P.cols;
  const gW = new Float64Array(C * M);
  const gb = new Float64Array(C);
  let tot = 0;
  for (let i = 0; i < N; i++) tot += s ? s[i] : 1;
  for (let i = 0; i < N; i++) {
    const wi = (s ? s[i] : 1) / tot;
    for (let c = 0; c < C; c++) {
      let z = model.b[c];
      for (let j = 0; j < M; j++) z += model.W[c * M + j] * A.data[i * M + j];
      const r = wi * (1 / (1 + Math.exp(-z)) - P.data[i * C + c]);
      gb[c] += r;
      for (let j = 0; j < M; j++) gW[c * M + j] += r * A.data[i * M + j];
    }
  }
  return { gW, gb };
}

/**
 * Worst violation of the optimality conditions of smooth + λ‖W‖₁ over a box: the one-sided
 * directional derivative of the objective along every feasible coordinate direction must be
 * ≥ 0. (Free w≠0: ∂f/∂w = −λ·sign(w); w=0: |∂f/∂w| ≤ λ; at a bound: pointing out of the box.)
 */
function kktViolation(A: Mat, P: Mat, model: LinearModel, lambda: number, box?: Box, s?: Float32Array): number {
  const { gW, gb } = smoothGradient(A, P, model, s);
  let worst = 0;
  for (const g of gb) worst = Math.max(worst, Math.abs(g));
  for (let q = 0; q < gW.length; q++) {
    const w = model.W[q];
    const lo = box ? box.lo[q] : -Infinity;
    const hi = box ? box.hi[q] : Infinity;
    const up = gW[q] + lambda * (w >= 0 ? 1 : -1); // d/dt F(w + t), t → 0⁺
    const down = -gW[q] + lambda * (w <= 0 ? 1 : -1); // d/dt F(w − t)
    if (w < hi) worst = Math.max(worst, -up);
    if (w > lo) worst = Math.max(worst, -down);
  }
  return worst;
}

function fidelity(A: Mat, P: Mat, model: LinearModel): number {
  const a = argmaxRows(logits(A, model));
  const b = argmaxRows(P);
  let s = 0;
  for (let i = 0; i < A.rows; i++) s += a[i] === b[i] ? 1 : 0;
  return s / A.rows;
}

/**
 * Float32 weights put a floor of ~1e-6 under any KKT check (rounding w by 6e-8·|w| moves the
 * gradient by H·Δw); 5e-6 is 5 % of the default λ, far below what a loose solve shows.
 */
const KKT = 5e-6;

const small = syntheticProblem({ N: 400, M: 12, C: 3, seed: 2, factors: 4, active: 4 });

describe('fitStudent', () => {
  it('satisfies the L1 optimality conditions (default λ and a sparsifying λ)', async () => {
    for (const lambda of [1e-4, 2e-2]) {
      const r = await fitStudent(small.A, small.P, { lambda, tol: 1e-9, maxIter: 20000 });
      expect(kktViolation(small.A, small.P, r.model, lambda)).toBeLessThan(KKT);
      if (lambda > 1e-3) expect(r.model.W.filter((w) => w === 0).length).toBeGreaterThan(3);
      expect(r.objective).toBeCloseTo(objective(small.A, small.P, r.model, lambda), 6);
    }
  });

  it('the optimality check can fail: a loosely solved model violates it', async () => {
    const r = await fitStudent(small.A, small.P, { maxIter: 3 });
    expect(kktViolation(small.A, small.P, r.model, 1e-4)).toBeGreaterThan(1e-3);
    const zero: LinearModel = { W: new Float32Array(36), b: new Float32Array(3), C: 3, M: 12 };
    expect(kktViolation(small.A, small.P, zero, 1e-4)).toBeGreaterThan(1e-3);
  });

  it('keeps bounded weights in their boxes, and the boxes bind', async () => {
    const free = await fitStudent(small.A, small.P, { tol: 1e-9, maxIter: 20000 });
    const { C, M } = free.model;
    const lo = new Float32Array(C * M).fill(-Infinity);
    const hi = new Float32Array(C * M).fill(Infinity);
    // Three biggest weights: ban one, force one to double, cap one at half.
    const order = Array.from(free.model.W.keys()).sort((a, b) => Math.abs(free.model.W[b]) - Math.abs(free.model.W[a]));
    const [q0, q1, q2] = order;
    lo[q0] = hi[q0] = 0;
    const w1 = free.model.W[q1];
    [lo[q1], hi[q1]] = w1 > 0 ? [2 * w1, 3 * w1] : [3 * w1, 2 * w1];
    const w2 = free.model.W[q2];
    [lo[q2], hi[q2]] = w2 > 0 ? [0, w2 / 2] : [w2 / 2, 0];
    const box = { lo, hi };
    const r = await fitStudent(small.A, small.P, { bounds: box, tol: 1e-9, maxIter: 20000, warmStart: free.model });
    for (let q = 0; q < C * M; q++) {
      expect(r.model.W[q]).toBeGreaterThanOrEqual(lo[q]);
      expect(r.model.W[q]).toBeLessThanOrEqual(hi[q]);
    }
    expect(r.model.W[q0]).toBe(0);
    expect(r.model.W[q1]).toBeCloseTo(w1 > 0 ? lo[q1] : hi[q1], 6); // pulled back to its nearest end
    expect(r.model.W[q2]).toBeCloseTo(w2 > 0 ? hi[q2] : lo[q2], 6);
    expect(r.objective).toBeGreaterThan(free.objective);
    expect(kktViolation(small.A, small.P, r.model, 1e-4, box)).toBeLessThan(KKT);
    // The other concepts compensate: free weights moved.
    let moved = 0;
    for (let q = 0; q < C * M; q++) if (q !== q0 && q !== q1 && q !== q2 && Math.abs(r.model.W[q] - free.model.W[q]) > 1e-3) moved++;
    expect(moved).toBeGreaterThan(0);
  });

  it('integer sample weights equal duplicated rows (how bootstrap members avoid copies)', async () => {
    const N = small.A.rows;
    const counts = new Float32Array(N);
    const idx: number[] = [];
    for (let i = 0; i < N; i++) {
      counts[i] = i % 3; // 0, 1 or 2 copies
      for (let k = 0; k < counts[i]; k++) idx.push(i);
    }
    const weighted = await fitStudent(small.A, small.P, { sampleWeights: counts, tol: 1e-9, maxIter: 20000 });
    const copied = await fitStudent(takeRows(small.A, idx), takeRows(small.P, idx), { tol: 1e-9, maxIter: 20000 });
    for (let q = 0; q < weighted.model.W.length; q++) expect(weighted.model.W[q]).toBeCloseTo(copied.model.W[q], 4);
    expect(weighted.objective).toBeCloseTo(copied.objective, 7);
    expect(kktViolation(small.A, small.P, weighted.model, 1e-4, undefined, counts)).toBeLessThan(KKT);
  });

  it('a warm start at the optimum stops almost at once', async () => {
    const r = await fitStudent(small.A, small.P, { tol: 1e-6, maxIter: 20000 });
    const again = await fitStudent(small.A, small.P, { tol: 1e-6, warmStart: r.model });
    expect(again.iterations).toBeLessThanOrEqual(3);
  });

  it('recovers a planted sparse model with high fidelity on held-out rows', async () => {
    // Independent per-class teacher: the planted model is the population optimum, so the fit
    // must find its support and values (a softmax teacher couples classes, see synthetic.ts).
    const M = 40;
    const pr = syntheticProblem({ N: 6000, M, C: 4, seed: 9, nonlinear: 0, active: 5, noise: 0.7, teacher: 'sigmoid' });
    const train = Array.from({ length: 5000 }, (_, i) => i);
    const test = Array.from({ length: 1000 }, (_, i) => 5000 + i);
    const r = await fitStudent(takeRows(pr.A, train), takeRows(pr.P, train));
    expect(fidelity(takeRows(pr.A, test), takeRows(pr.P, test), r.model)).toBeGreaterThan(0.97);
    for (let c = 0; c < 4; c++) {
      const planted = Array.from({ length: M }, (_, j) => j).filter((j) => pr.W[c * M + j] !== 0);
      const top = Array.from({ length: M }, (_, j) => j)
        .sort((a, b) => Math.abs(r.model.W[c * M + b]) - Math.abs(r.model.W[c * M + a]))
        .slice(0, planted.length);
      expect(new Set(top)).toEqual(new Set(planted));
      for (const j of planted) expect(Math.abs(r.model.W[c * M + j] - pr.W[c * M + j])).toBeLessThan(0.25);
      expect(Math.abs(r.model.b[c] - pr.b[c])).toBeLessThan(0.1);
    }
  });

  it('stops on cancel, before and during the fit', async () => {
    await expect(fitStudent(small.A, small.P, { signal: { aborted: true } })).rejects.toBeInstanceOf(CancelledError);
    const token = { aborted: false };
    let calls = 0;
    const run = fitStudent(small.A, small.P, {
      tol: 0,
      maxIter: 10000,
      signal: token,
      onProgress: () => {
        if (++calls === 3) token.aborted = true;
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(calls).toBe(3);
  });

  it('copes with one-hot targets (labels as teacher), one class and tiny N', async () => {
    const hard = { rows: 400, cols: 3, data: new Float32Array(1200) };
    const lab = argmaxRows(small.P);
    for (let i = 0; i < 400; i++) hard.data[i * 3 + lab[i]] = 1;
    const r = await fitStudent(small.A, hard, { maxIter: 300 });
    expect(r.model.W.every(Number.isFinite) && r.model.b.every(Number.isFinite)).toBe(true);
    expect(fidelity(small.A, hard, r.model)).toBeGreaterThan(0.9);
    const one = await fitEnsemble(takeRows(small.A, [0, 1, 2]), { rows: 3, cols: 1, data: Float32Array.of(0.2, 0.9, 0.5) }, { members: 3 });
    expect(one.members).toHaveLength(3);
    expect(one.served.W.every(Number.isFinite)).toBe(true);
  });

  it('validates its inputs', async () => {
    const badP = { rows: 400, cols: 3, data: Float32Array.from(small.P.data, (p, i) => (i === 5 ? 1.5 : p)) };
    await expect(fitStudent(small.A, badP)).rejects.toThrow(/\[0, 1\]/);
    await expect(fitStudent(small.A, small.P, { warmStart: { W: new Float32Array(3), b: new Float32Array(3), C: 3, M: 1 } })).rejects.toThrow(/warm start/);
    const box = { lo: new Float32Array(36).fill(1), hi: new Float32Array(36).fill(0) };
    await expect(fitStudent(small.A, small.P, { bounds: box })).rejects.toThrow(/empty box/);
  });
});

describe('fitEnsemble', () => {
  const opts = { members: 6, seed: 3, tol: 1e-6, memberMaxIter: 400 };

  it('members differ, served is exactly their mean, the band brackets the members', async () => {
    const ens = await fitEnsemble(small.A, small.P, opts);
    expect(ens.members).toHaveLength(6);
    const { C, M } = ens.served;
    let differs = 0;
    for (let q = 0; q < C * M; q++) if (ens.members[0].W[q] !== ens.members[1].W[q]) differs++;
    expect(differs).toBeGreaterThan(C * M / 2);
    for (let q = 0; q < C * M; q++) {
      let s = 0;
      for (const m of ens.members) s += m.W[q];
      expect(ens.served.W[q]).toBe(Math.fround(s / 6));
      const vals = ens.members.map((m) => m.W[q]);
      expect(ens.lo[q]).toBeGreaterThanOrEqual(Math.min(...vals));
      expect(ens.hi[q]).toBeLessThanOrEqual(Math.max(...vals));
      expect(ens.lo[q]).toBeLessThanOrEqual(ens.hi[q]);
    }
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (const m of ens.members) s += m.b[c];
      expect(ens.served.b[c]).toBe(Math.fround(s / 6));
    }
  });

  it('each member solves its own bootstrap problem', async () => {
    const fit = await fitEnsembleDetailed(small.A, small.P, opts);
    const rowW = bootstrapWeights(small.A.rows, 6, 3);
    for (let m = 0; m < 6; m++) {
      const s = Float32Array.from({ length: small.A.rows }, (_, i) => rowW.data[i * 6 + m]);
      expect(kktViolation(small.A, small.P, fit.ensemble.members[m], 1e-4, undefined, s)).toBeLessThan(2 * KKT);
    }
    expect(kktViolation(small.A, small.P, fit.full.model, 1e-4)).toBeLessThan(2 * KKT);
  });

  it('is reproducible for a seed and changes with it', async () => {
    const a = await fitEnsemble(small.A, small.P, opts);
    const b = await fitEnsemble(small.A, small.P, opts);
    const c = await fitEnsemble(small.A, small.P, { ...opts, seed: 4 });
    expect(Array.from(a.served.W)).toEqual(Array.from(b.served.W));
    expect(Array.from(a.members[5].b)).toEqual(Array.from(b.members[5].b));
    expect(Array.from(a.members[0].W)).not.toEqual(Array.from(c.members[0].W));
  });

  it('percentiles interpolate like numpy', () => {
    const members = [3, 1, 4, 1, 5].map((v) => ({ W: Float32Array.of(v), b: Float32Array.of(0), C: 1, M: 1 }));
    const e = summariseMembers(members);
    // sorted 1 1 3 4 5: p10 at 0.4 → 1, p90 at 3.6 → 4.6
    expect(e.lo[0]).toBeCloseTo(1, 6);
    expect(e.hi[0]).toBeCloseTo(4.6, 6);
    expect(e.served.W[0]).toBeCloseTo(2.8, 6);
  });

  it('refitWithBounds bans and bounds every member and keeps the resamples', async () => {
    const ens = await fitEnsemble(small.A, small.P, opts);
    const { C, M } = ens.served;
    const lo = new Float32Array(C * M).fill(-Infinity);
    const hi = new Float32Array(C * M).fill(Infinity);
    const ban = 1 * M + 2; // class 1, concept 2
    lo[ban] = hi[ban] = 0;
    const up = 0 * M + 5;
    const w0 = ens.served.W[up];
    [lo[up], hi[up]] = w0 > 0 ? [w0, 2 * w0] : [w0, w0 + Math.abs(w0)];
    lo[up] = Math.max(lo[up], 0.5); // "must count for", well above where it was
    hi[up] = Math.max(hi[up], 0.6);
    const tuned = await refitWithBounds(small.A, small.P, ens, { lo, hi }, { seed: 3, tol: 1e-6, memberMaxIter: 400 });
    for (const m of [...tuned.members, tuned.served]) {
      expect(m.W[ban]).toBe(0);
      expect(m.W[up]).toBeGreaterThanOrEqual(0.5);
    }
    const rowW = bootstrapWeights(small.A.rows, 6, 3);
    const s = Float32Array.from({ length: small.A.rows }, (_, i) => rowW.data[i * 6 + 2]);
    expect(kktViolation(small.A, small.P, tuned.members[2], 1e-4, { lo, hi }, s)).toBeLessThan(2 * KKT);
    // Unbounded, the same call is a no-op refit: members stay (they were converged).
    const same = await refitWithBounds(small.A, small.P, ens, null, { seed: 3, tol: 1e-6 });
    for (let q = 0; q < C * M; q++) expect(same.served.W[q]).toBeCloseTo(ens.served.W[q], 4);
  });

  it('cancels between the full fit and the members too', async () => {
    const token = { aborted: false };
    const run = fitEnsemble(small.A, small.P, {
      ...opts,
      signal: token,
      onProgress: (p) => {
        if (p.stage === 'members') token.aborted = true;
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
  });
});
