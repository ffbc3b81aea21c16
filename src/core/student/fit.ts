/**
 * Student fitting (METHODS.md §4) and bounded refits for tuning (§5).
 *
 * Objective for one model, per class c (classes are independent one-vs-rest problems):
 *     Σ_i s_i·BCE(σ(w_c·â_i + b_c), p_ic) / Σ_i s_i  +  λ‖w_c‖₁,   biases not penalised,
 * summed over classes; s_i = 1 by default (then it is exactly METHODS.md's mean over N), or
 * bootstrap counts for ensemble members. Ensembles stack every member's classes as columns of
 * one solve (see kernel.ts), so one GEMM serves all members.
 */
import type { Box, CancelToken, Ensemble, LinearModel, Mat, Progress } from '../types.ts';
import { mulberry32, randInt } from '../math/rng.ts';
import { createJsKernel } from './jsKernel.ts';
import { softplus, type ColumnSet, type KernelFactory, type RowWeights, type StudentKernel } from './kernel.ts';
import { solveColumns } from './fista.ts';

export const DEFAULT_LAMBDA = 1e-4;
/**
 * Members only feed a mean and a 10–90 % band, so they stop a little earlier than the full fit.
 * Measured at N=10k, M=600, 20 members against members solved to 1e-6: 2e-4 takes 43 instead
 * of 52 iterations, moves the served weights by 8e-4 on average and the band width by 4 %.
 */
export const DEFAULT_MEMBER_TOL = 2e-4;

export interface FitOptions {
  /** L1 strength λ (default 1e-4). */
  lambda?: number;
  /** Per-weight boxes (C×M); every bounded weight is projected after each proximal step. */
  bounds?: Box | null;
  /** Start point (projected into the bounds); default all zeros. */
  warmStart?: LinearModel | null;
  /** Non-negative per-row weights (N), e.g. bootstrap counts; normalised internally. */
  sampleWeights?: Float32Array | null;
  /** A kernel prepared for (A, P), or a factory; default the pure-JS kernel. */
  kernel?: StudentKernel | KernelFactory;
  /** Iteration cap (default 500). */
  maxIter?: number;
  /** Stop when every class's ‖gradient mapping‖∞ ≤ tol (default 1e-4). */
  tol?: number;
  signal?: CancelToken;
  /** Called once per iteration; may return a promise (awaited), e.g. to yield to an event loop. */
  onProgress?: (p: Progress) => void | Promise<void>;
}

export interface FitResult {
  model: LinearModel;
  /** Iterations of the slowest class. */
  iterations: number;
  /** Full objective (Σ over classes of weighted mean BCE + λ‖W‖₁). */
  objective: number;
  /** Final step per class, reusable as a warm start for members. */
  steps: Float64Array;
}

export interface EnsembleOptions extends Omit<FitOptions, 'warmStart' | 'sampleWeights'> {
  /** Number of bootstrap members k (default 20). */
  members?: number;
  /** Seed of the bootstrap resamples (default 0). Use the same seed to refit the same members. */
  seed?: number;
  /** Start the full-data fit here (e.g. the current served model). */
  warmStart?: LinearModel | null;
  /** Iteration cap of the members' joint solve (default 60). */
  memberMaxIter?: number;
  /** Tolerance of the members (default: `tol` if given, else 2e-4, see DEFAULT_MEMBER_TOL). */
  memberTol?: number;
  /**
   * Leave alone the member columns a previous members' solve on this very kernel instance left
   * converged, for the same problem and from the same point (default true; see `SolvedColumns`).
   * `false` solves every column as if the kernel were new, and leaves no record for the next
   * solve (benchmarks' cold refit, tests).
   */
  reuseSolved?: boolean;
}

export interface EnsembleFit {
  ensemble: Ensemble;
  /** The full-data fit the members were warm-started from. */
  full: FitResult;
  memberIterations: number;
}

/** Bootstrap resample counts of k members as normalised row weights (N×k), seeded. */
export function bootstrapWeights(N: number, k: number, seed: number, base?: Float32Array | null): RowWeights {
  const data = new Float32Array(N * k);
  const rng = mulberry32(seed);
  for (let m = 0; m < k; m++) {
    for (let n = 0; n < N; n++) data[randInt(rng, N) * k + m] += 1;
  }
  if (base) for (let i = 0; i < N; i++) for (let m = 0; m < k; m++) data[i * k + m] *= base[i];
  normaliseColumns(data, N, k);
  return { K: k, data };
}

function normaliseColumns(data: Float32Array, N: number, K: number): void {
  for (let m = 0; m < K; m++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += data[i * K + m];
    if (!(s > 0)) throw new Error('row weights sum to zero');
    for (let i = 0; i < N; i++) data[i * K + m] /= s;
  }
}

function uniformWeights(N: number, sampleWeights?: Float32Array | null): RowWeights {
  if (!sampleWeights) return { K: 1, data: new Float32Array(N).fill(1 / N) };
  if (sampleWeights.length !== N) throw new Error(`sample weights have ${sampleWeights.length} values, expected ${N}`);
  for (const w of sampleWeights) if (!(w >= 0)) throw new Error('sample weights must be non-negative');
  const data = Float32Array.from(sampleWeights);
  normaliseColumns(data, N, 1);
  return { K: 1, data };
}

function checkShapes(A: Mat, P: Mat): void {
  if (A.rows !== P.rows) throw new Error(`activations have ${A.rows} rows, targets ${P.rows}`);
  if (A.data.length !== A.rows * A.cols || P.data.length !== P.rows * P.cols) throw new Error('matrix data does not match its shape');
  for (const p of P.data) if (!(p >= 0 && p <= 1)) throw new Error('teacher probabilities must lie in [0, 1]');
}

function checkModel(m: LinearModel, C: number, M: number, what: string): void {
  if (m.C !== C || m.M !== M || m.W.length !== C * M || m.b.length !== C) {
    throw new Error(`${what} is ${m.C}×${m.M}, expected ${C}×${M}`);
  }
}

/** Resolve the kernel option; `owned` says whether we must dispose it. */
async function useKernel(A: Mat, P: Mat, k?: StudentKernel | KernelFactory): Promise<{ kernel: StudentKernel; owned: boolean }> {
  if (!k) return { kernel: createJsKernel(A, P), owned: true };
  if (typeof k === 'function') return { kernel: await k(A.data, P.data, A.rows, A.cols, P.cols), owned: true };
  if (k.N !== A.rows || k.M !== A.cols || k.C !== P.cols) throw new Error('kernel was prepared for other data');
  return { kernel: k, owned: false };
}

/** k copies of the C classes as columns: column m·C + c fits class c of member m. */
function memberColumns(C: number, k: number): ColumnSet {
  const J = C * k;
  const cls = new Int32Array(J);
  const mem = new Int32Array(J);
  for (let j = 0; j < J; j++) {
    cls[j] = j % C;
    mem[j] = Math.floor(j / C);
  }
  return { J, cls, mem };
}

/** Columns `pick` of a column set. */
function subsetColumns(cols: ColumnSet, pick: number[]): ColumnSet {
  return { J: pick.length, cls: Int32Array.from(pick, (j) => cols.cls[j]), mem: Int32Array.from(pick, (j) => cols.mem[j]) };
}

function tileBox(bounds: Box | null | undefined, C: number, M: number, k: number): { lo: Float32Array | null; hi: Float32Array | null } {
  if (!bounds) return { lo: null, hi: null };
  if (bounds.lo.length !== C * M || bounds.hi.length !== C * M) throw new Error(`bounds must be ${C}×${M}`);
  for (let q = 0; q < C * M; q++) if (!(bounds.lo[q] <= bounds.hi[q])) throw new Error(`empty box at weight ${q}`);
  const lo = new Float32Array(C * M * k);
  const hi = new Float32Array(C * M * k);
  for (let m = 0; m < k; m++) {
    lo.set(bounds.lo, m * C * M);
    hi.set(bounds.hi, m * C * M);
  }
  return { lo, hi };
}

function sum(v: Float64Array, from = 0, to = v.length): number {
  let s = 0;
  for (let q = from; q < to; q++) s += v[q];
  return s;
}

function maxInt(v: Int32Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, x);
  return m;
}

/**
 * Cold-start biases: with W = 0 the optimal b_c is the logit of the (weighted) mean target,
 * so the first iterations need not spend themselves on the class base rates.
 */
function baseRateBiases(P: Mat, w: Float32Array): Float32Array {
  const C = P.cols;
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let m = 0;
    for (let i = 0; i < P.rows; i++) m += w[i] * P.data[i * C + c];
    m = Math.min(1 - 1e-6, Math.max(1e-6, m));
    b[c] = Math.log(m / (1 - m));
  }
  return b;
}

/** Fit one student on all rows (optionally weighted). */
export async function fitStudent(A: Mat, P: Mat, opts: FitOptions = {}): Promise<FitResult> {
  checkShapes(A, P);
  const M = A.cols;
  const C = P.cols;
  if (opts.warmStart) checkModel(opts.warmStart, C, M, 'warm start');
  const { kernel, owned } = await useKernel(A, P, opts.kernel);
  try {
    const box = tileBox(opts.bounds, C, M, 1);
    const rowW = uniformWeights(A.rows, opts.sampleWeights);
    const res = await solveColumns(
      kernel,
      {
        cols: memberColumns(C, 1),
        rowW,
        W0: opts.warmStart?.W ?? new Float32Array(C * M),
        b0: opts.warmStart?.b ?? baseRateBiases(P, rowW.data),
        lo: box.lo,
        hi: box.hi,
        lambda: opts.lambda ?? DEFAULT_LAMBDA,
      },
      { maxIter: opts.maxIter ?? 500, tol: opts.tol ?? 1e-4, signal: opts.signal, onProgress: opts.onProgress, stage: 'fit' },
    );
    return { model: { W: res.W, b: res.b, C, M }, iterations: maxInt(res.iterations), objective: sum(res.objective), steps: res.steps };
  } finally {
    if (owned) await kernel.dispose();
  }
}

/**
 * Served model (exact mean of members' W and b) and the 10th/90th percentile band per weight
 * (linear interpolation between order statistics, as numpy's default).
 */
export function summariseMembers(members: LinearModel[]): Ensemble {
  if (members.length === 0) throw new Error('an ensemble needs at least one member');
  const { C, M } = members[0];
  const k = members.length;
  const W = new Float32Array(C * M);
  const b = new Float32Array(C);
  const lo = new Float32Array(C * M);
  const hi = new Float32Array(C * M);
  const vals = new Float64Array(k);
  const pct = (q: number) => {
    const pos = q * (k - 1);
    const f = Math.floor(pos);
    const c = Math.min(k - 1, f + 1);
    return vals[f] + (pos - f) * (vals[c] - vals[f]);
  };
  for (let q = 0; q < C * M; q++) {
    let s = 0;
    for (let m = 0; m < k; m++) {
      vals[m] = members[m].W[q];
      s += vals[m];
    }
    W[q] = s / k;
    vals.sort();
    lo[q] = pct(0.1);
    hi[q] = pct(0.9);
  }
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let m = 0; m < k; m++) s += members[m].b[c];
    b[c] = s / k;
  }
  return { served: { W, b, C, M }, members, lo, hi };
}

/**
 * What the last members' solve on a kernel did, column by column (column m·C + c = class c of
 * member m), so that the next solve on the same kernel can skip what it has already done.
 *
 * A tuning step bounds one weight (uptune/downtune/remove) or one concept (ban), and the
 * one-vs-rest columns are independent problems. A column's problem is fixed by the kernel (the
 * same A and P, see kernelCache.ts), the members k and seed (the same bootstrap rows), λ, its box
 * row and the tolerance. When a column comes again with the same problem and
 *  (a) it starts where it ended last time, and it ended converged (gradient mapping ≤ tol):
 *      iterating again would only move it within the tolerance, so it is returned as it is; or
 *  (b) it starts where it started last time (the studio's undo, then another tune): the solver
 *      already knows where that start leads, and returns that end again (if it ended at the
 *      iteration cap, only when the cap is not higher now);
 * it is not sent to the kernel. Every other column is solved, starting from the step size it
 * ended with last time (a column's curvature depends on its class and resample only), so a
 * refit needs few backtracks. Measured at 10k images (8k distillation rows), M = 600, C = 5,
 * 20 members, the studio's benchmark: an uptune solves 20 of the 100 columns.
 *
 * The consequence, documented in README.md: on a kept kernel (the train worker's) a refit can
 * differ from the same refit on a fresh kernel within the solver's tolerance; tests compare both
 * against a cold solve (refitReuse.test.ts).
 */
interface SolvedColumns {
  C: number;
  M: number;
  k: number;
  seed: number;
  lambda: number;
  tol: number;
  maxIter: number;
  /** Start (projected into the box) and returned weights (J×M) and biases (J). */
  W0: Float32Array;
  b0: Float32Array;
  W: Float32Array;
  b: Float32Array;
  /** The boxes it was solved in (J×M each), null = unbounded. */
  lo: Float32Array | null;
  hi: Float32Array | null;
  /** Final step per column. */
  steps: Float64Array;
  /** Per column: 1 = reached the tolerance (or the kernel's precision), 0 = hit the cap. */
  converged: Uint8Array;
}

/** Keyed by the kernel instance (a kept kernel is the same object on every call). */
const solvedOn = new WeakMap<StudentKernel, SolvedColumns>();

function sameRow(a: Float32Array, b: Float32Array, j: number, M: number): boolean {
  const o = j * M;
  for (let m = 0; m < M; m++) if (a[o + m] !== b[o + m]) return false;
  return true;
}

/** Box rows equal (null = all ±Infinity). */
function sameBoxRow(lo: Float32Array | null, hi: Float32Array | null, mlo: Float32Array | null, mhi: Float32Array | null, j: number, M: number): boolean {
  const o = j * M;
  for (let m = 0; m < M; m++) {
    if ((lo ? lo[o + m] : -Infinity) !== (mlo ? mlo[o + m] : -Infinity)) return false;
    if ((hi ? hi[o + m] : Infinity) !== (mhi ? mhi[o + m] : Infinity)) return false;
  }
  return true;
}

function pickRows(x: Float32Array, rows: number[], M: number): Float32Array {
  const out = new Float32Array(rows.length * M);
  rows.forEach((j, q) => out.set(x.subarray(j * M, (j + 1) * M), q * M));
  return out;
}

async function fitMembers(
  kernel: StudentKernel,
  A: Mat,
  P: Mat,
  starts: LinearModel[],
  opts: EnsembleOptions,
  step0: Float64Array | undefined,
): Promise<{ members: LinearModel[]; iterations: number; solvedColumns: number }> {
  const M = A.cols;
  const C = P.cols;
  const k = starts.length;
  const J = k * C;
  const seed = opts.seed ?? 0;
  const lambda = opts.lambda ?? DEFAULT_LAMBDA;
  const tol = opts.memberTol ?? opts.tol ?? DEFAULT_MEMBER_TOL;
  const W0 = new Float32Array(J * M);
  const b0 = new Float32Array(J);
  starts.forEach((s, m) => {
    W0.set(s.W, m * C * M);
    b0.set(s.b, m * C);
  });
  const box = tileBox(opts.bounds, C, M, k);
  // In the box already (the solver projects the start; a skipped column must be feasible too).
  if (box.lo && box.hi) for (let q = 0; q < W0.length; q++) W0[q] = Math.min(box.hi[q], Math.max(box.lo[q], W0[q]));

  const maxIter = opts.memberMaxIter ?? 60;
  const prev = opts.reuseSolved === false ? undefined : solvedOn.get(kernel);
  const memo = prev && prev.C === C && prev.M === M && prev.k === k && prev.seed === seed && prev.lambda === lambda && prev.tol <= tol ? prev : undefined;
  const W = W0.slice();
  const b = b0.slice();
  const converged = new Uint8Array(J).fill(1);
  const todo: number[] = [];
  for (let j = 0; j < J; j++) {
    if (memo && sameBoxRow(box.lo, box.hi, memo.lo, memo.hi, j, M)) {
      // (a) ended converged, starts there again: keep it.
      if (memo.converged[j] === 1 && memo.b[j] === b0[j] && sameRow(W0, memo.W, j, M)) continue;
      // (b) the same start as last time: the same end.
      if ((memo.converged[j] === 1 || memo.maxIter >= maxIter) && memo.b0[j] === b0[j] && sameRow(W0, memo.W0, j, M)) {
        W.set(memo.W.subarray(j * M, (j + 1) * M), j * M);
        b[j] = memo.b[j];
        converged[j] = memo.converged[j];
        continue;
      }
    }
    todo.push(j);
  }

  const steps = memo ? Float64Array.from(memo.steps) : step0 ? Float64Array.from(step0) : new Float64Array(J).fill(4);
  let iterations = 0;
  if (todo.length > 0) {
    const all = memberColumns(C, k);
    const given = step0 ?? memo?.steps;
    const res = await solveColumns(
      kernel,
      {
        cols: subsetColumns(all, todo),
        rowW: bootstrapWeights(A.rows, k, seed),
        W0: pickRows(W0, todo, M),
        b0: Float32Array.from(todo, (j) => b0[j]),
        lo: box.lo && pickRows(box.lo, todo, M),
        hi: box.hi && pickRows(box.hi, todo, M),
        lambda,
        step0: given && Float64Array.from(todo, (j) => given[j]),
      },
      { maxIter, tol, signal: opts.signal, onProgress: opts.onProgress, stage: 'members' },
    );
    todo.forEach((j, q) => {
      W.set(res.W.subarray(q * M, (q + 1) * M), j * M);
      b[j] = res.b[q];
      steps[j] = res.steps[q];
      converged[j] = res.converged[q] === 0 ? 0 : 1;
    });
    iterations = maxInt(res.iterations);
  }
  if (opts.reuseSolved !== false) solvedOn.set(kernel, { C, M, k, seed, lambda, tol, maxIter, W0, b0, W: W.slice(), b: b.slice(), lo: box.lo, hi: box.hi, steps, converged });
  const members = Array.from({ length: k }, (_, m) => ({ W: W.slice(m * C * M, (m + 1) * C * M), b: b.slice(m * C, (m + 1) * C), C, M }));
  return { members, iterations, solvedColumns: todo.length };
}

/** Full-data fit, then k bootstrap members warm-started from it, solved jointly. */
export async function fitEnsembleDetailed(A: Mat, P: Mat, opts: EnsembleOptions = {}): Promise<EnsembleFit> {
  checkShapes(A, P);
  const k = opts.members ?? 20;
  if (!(k >= 1 && Number.isInteger(k))) throw new Error(`members must be a positive integer, got ${k}`);
  const { kernel, owned } = await useKernel(A, P, opts.kernel);
  try {
    const full = await fitStudent(A, P, { ...opts, kernel, warmStart: opts.warmStart ?? null, sampleWeights: null });
    // Members start at the full fit with its per-class steps: few iterations each.
    const step0 = new Float64Array(k * P.cols);
    for (let j = 0; j < step0.length; j++) step0[j] = full.steps[j % P.cols];
    const { members, iterations } = await fitMembers(kernel, A, P, Array(k).fill(full.model), opts, step0);
    return { ensemble: summariseMembers(members), full, memberIterations: iterations };
  } finally {
    if (owned) await kernel.dispose();
  }
}

export async function fitEnsemble(A: Mat, P: Mat, opts: EnsembleOptions = {}): Promise<Ensemble> {
  return (await fitEnsembleDetailed(A, P, opts)).ensemble;
}

/** A refit and what it cost. */
export interface RefitDetail {
  ensemble: Ensemble;
  /** Iterations of the slowest solved column (0 when every column was already solved). */
  iterations: number;
  /** Member columns (members × classes) actually solved; the others were left as they were. */
  solvedColumns: number;
  totalColumns: number;
}

export type RefitOptions = Omit<EnsembleOptions, 'bounds' | 'members' | 'warmStart'>;

/**
 * Tuning refit (METHODS.md §5): every member restarts from where it is, on the same bootstrap
 * resample (pass the seed the ensemble was fitted with), with `bounds` projected after each
 * proximal step. The served mean of in-box members is itself in the box (boxes are convex).
 * On a kernel that solved these members before, columns it already solved are kept (see
 * `SolvedColumns`; `reuseSolved: false` turns that off).
 */
export async function refitWithBoundsDetailed(A: Mat, P: Mat, current: Ensemble, bounds: Box | null, opts: RefitOptions = {}): Promise<RefitDetail> {
  checkShapes(A, P);
  for (const m of current.members) checkModel(m, P.cols, A.cols, 'member');
  const { kernel, owned } = await useKernel(A, P, opts.kernel);
  try {
    const r = await fitMembers(kernel, A, P, current.members, { ...opts, bounds }, undefined);
    return { ensemble: summariseMembers(r.members), iterations: r.iterations, solvedColumns: r.solvedColumns, totalColumns: current.members.length * P.cols };
  } finally {
    if (owned) await kernel.dispose();
  }
}

export async function refitWithBounds(A: Mat, P: Mat, current: Ensemble, bounds: Box | null, opts: RefitOptions = {}): Promise<Ensemble> {
  return (await refitWithBoundsDetailed(A, P, current, bounds, opts)).ensemble;
}

/**
 * The objective in float64, straight from the definition (for tests and references):
 * Σ_c [ Σ_i s_i·BCE(σ(z_ic), p_ic) / Σ_i s_i ] + λ‖W‖₁.
 */
export function objective(A: Mat, P: Mat, model: LinearModel, lambda = DEFAULT_LAMBDA, sampleWeights?: Float32Array | null): number {
  const { rows: N, cols: M } = A;
  const C = P.cols;
  let total = 0;
  let wsum = 0;
  for (let i = 0; i < N; i++) {
    const s = sampleWeights ? sampleWeights[i] : 1;
    wsum += s;
    if (s === 0) continue;
    for (let c = 0; c < C; c++) {
      let z = model.b[c];
      for (let j = 0; j < M; j++) z += model.W[c * M + j] * A.data[i * M + j];
      total += s * (softplus(z) - P.data[i * C + c] * z);
    }
  }
  let l1 = 0;
  for (const w of model.W) l1 += Math.abs(w);
  return total / wsum + lambda * l1;
}
