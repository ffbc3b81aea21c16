/**
 * A small main-thread refit used until the train worker
 * (workers/trainClient) lands. The refit is projected FISTA on the served model only, run in
 * chunks so the UI keeps painting and can cancel; the ensemble band is carried over, shifted
 * by the change of the served weights (the real worker refits all members).
 */
import type { CancelToken, Ensemble, LinearModel, Progress } from '../core/types.ts';
import { CancelledError } from '../core/types.ts';
import type { TuneInput, TuneResult } from '../core/pipeline/types.ts';

export type TuneKind = 'uptune' | 'downtune' | 'remove' | 'ban' | 'banAll';

const sleep = () => new Promise<void>((r) => setTimeout(r, 0));

/** Projected FISTA on BCE(σ(z), p_T) + λ‖W‖₁ over the train split, warm-started from `current`. */
export async function refitLocal(
  input: TuneInput & { iterations?: number },
  opts: { signal?: CancelToken; onProgress?: (p: Progress) => void } = {},
): Promise<Omit<TuneResult, 'metrics' | 'predictions'> & { served: LinearModel }> {
  const { raw, teacher, stats, split, current, bounds } = input;
  const M = raw.cols;
  const C = teacher.cols;
  const lambda = input.lambda ?? 1e-4;
  const train = split.train;
  const n = train.length;
  // Standardised train rows.
  const A = new Float32Array(n * M);
  for (let k = 0; k < n; k++) {
    const i = train[k];
    for (let j = 0; j < M; j++) A[k * M + j] = (raw.data[i * M + j] - stats.mu[j]) / Math.max(1e-6, stats.sigma[j]);
  }
  const P = new Float32Array(n * C);
  for (let k = 0; k < n; k++) for (let c = 0; c < C; c++) P[k * C + c] = teacher.data[train[k] * C + c];
  // Step size from a power-iteration estimate of λmax(AᵀA/n): L = ¼(λmax + 1) bounds the BCE Hessian.
  let v = new Float64Array(M).fill(1 / Math.sqrt(M));
  let lam = 1;
  for (let it = 0; it < 15; it++) {
    const u = new Float64Array(M);
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < M; j++) s += A[k * M + j] * v[j];
      for (let j = 0; j < M; j++) u[j] += (A[k * M + j] * s) / n;
    }
    lam = Math.hypot(...u);
    v = u.map((x) => x / (lam || 1));
  }
  const eta = 1 / (0.25 * (lam + 1));
  const W = new Float32Array(current.served.W);
  const b = new Float32Array(current.served.b);
  const project = () => {
    for (let k = 0; k < W.length; k++) W[k] = Math.min(bounds.hi[k], Math.max(bounds.lo[k], W[k]));
  };
  project();
  const Wy = new Float32Array(W);
  const by = new Float32Array(b);
  const gW = new Float64Array(C * M);
  const gb = new Float64Array(C);
  let t = 1;
  const iterations = input.iterations ?? 150;
  for (let it = 0; it < iterations; it++) {
    gW.fill(0);
    gb.fill(0);
    for (let k = 0; k < n; k++) {
      const ak = k * M;
      for (let c = 0; c < C; c++) {
        let z = by[c];
        const wc = c * M;
        for (let j = 0; j < M; j++) z += A[ak + j] * Wy[wc + j];
        const g = (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))) - P[k * C + c];
        gb[c] += g;
        for (let j = 0; j < M; j++) gW[wc + j] += g * A[ak + j];
      }
    }
    const Wold = new Float32Array(W);
    const bold = new Float32Array(b);
    for (let k = 0; k < W.length; k++) {
      const x = Wy[k] - (eta * gW[k]) / n;
      const th = eta * lambda;
      W[k] = x > th ? x - th : x < -th ? x + th : 0;
    }
    for (let c = 0; c < C; c++) b[c] = by[c] - (eta * gb[c]) / n;
    project();
    const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const mom = (t - 1) / tn;
    t = tn;
    for (let k = 0; k < W.length; k++) Wy[k] = W[k] + mom * (W[k] - Wold[k]);
    for (let c = 0; c < C; c++) by[c] = b[c] + mom * (b[c] - bold[c]);
    if (it % 10 === 9 || it === iterations - 1) {
      opts.onProgress?.({ stage: 'refit (main-thread stand-in)', done: it + 1, total: iterations });
      await sleep();
      if (opts.signal?.aborted) throw new CancelledError();
    }
  }
  const served: LinearModel = { W, b, C, M };
  const lo = new Float32Array(C * M);
  const hi = new Float32Array(C * M);
  for (let k = 0; k < W.length; k++) {
    const shift = W[k] - current.served.W[k];
    lo[k] = Math.min(W[k], current.lo[k] + shift);
    hi[k] = Math.max(W[k], current.hi[k] + shift);
    // A weight pinned by a box has no spread left.
    if (bounds.lo[k] === bounds.hi[k]) lo[k] = hi[k] = W[k];
  }
  const ensemble: Ensemble = { served, members: [served], lo, hi };
  return { ensemble, served };
}
