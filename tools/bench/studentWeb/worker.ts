/**
 * Worker side of the browser student bench: the onnxruntime-web kernel exactly as the train
 * worker would use it (own-origin asyncify wasm, no proxy), checked against the JS kernel and
 * timed on a fit and an ensemble.
 */
import { createJsKernel, fitEnsembleDetailed, fitStudent, syntheticProblem, bootstrapWeights, type ColumnSet } from '../../../src/core/student/index.ts';
import { ortWebKernelFactory } from '../../../src/ml/kernels/ortWeb.ts';

export interface WebBenchRequest {
  N: number;
  M: number;
  C: number;
  members: number;
  numThreads?: number;
  /** onnxruntime-web execution providers (default ['wasm']). */
  executionProviders?: string[];
}

export interface WebBenchReport {
  crossOriginIsolated: boolean;
  setupSeconds: number;
  maxGradDiff: number;
  gradScale: number;
  maxLossRelDiff: number;
  iterationMs: { js: number; ortWeb: number; ortWebMembers: number };
  oneMember: { seconds: number; iterations: number; objective: number; jsObjective: number };
  ensemble: { seconds: number; fullIterations: number; memberIterations: number };
}

const now = () => performance.now();

async function run(req: WebBenchRequest): Promise<WebBenchReport> {
  const { N, M, C } = req;
  const pr = syntheticProblem({ N, M, C, seed: 1 });
  let t = now();
  const kernel = await ortWebKernelFactory({ numThreads: req.numThreads, executionProviders: req.executionProviders })(pr.A.data, pr.P.data, N, M, C);
  const setupSeconds = (now() - t) / 1000;
  const js = createJsKernel(pr.A, pr.P);
  try {
    const cols: ColumnSet = { J: 2 * C, cls: Int32Array.from({ length: 2 * C }, (_, j) => (j * 7) % C), mem: Int32Array.from({ length: 2 * C }, (_, j) => j % 2) };
    const rowW = bootstrapWeights(N, 2, 3);
    const W = Float32Array.from({ length: cols.J * M }, (_, k) => 0.05 * Math.sin(k));
    const b = Float32Array.from({ length: cols.J }, (_, j) => 0.1 * j - 1);
    const fj = await js.forward(W, b, cols, rowW);
    const fo = await kernel.forward(W, b, cols, rowW);
    const bj = await js.backward(fj.Z, cols, rowW);
    const bo = await kernel.backward(fj.Z, cols, rowW);
    let maxGradDiff = 0;
    let gradScale = 0;
    let maxLossRelDiff = 0;
    for (let k = 0; k < bj.gradW.length; k++) {
      maxGradDiff = Math.max(maxGradDiff, Math.abs(bj.gradW[k] - bo.gradW[k]));
      gradScale = Math.max(gradScale, Math.abs(bj.gradW[k]));
    }
    for (let j = 0; j < cols.J; j++) {
      maxLossRelDiff = Math.max(maxLossRelDiff, Math.abs(fj.loss[j] - fo.loss[j]) / fj.loss[j], Math.abs(bj.loss[j] - bo.loss[j]) / bj.loss[j]);
    }

    const iter = async (k: typeof js, members: number) => {
      const c: ColumnSet = { J: C * members, cls: Int32Array.from({ length: C * members }, (_, j) => j % C), mem: Int32Array.from({ length: C * members }, (_, j) => Math.floor(j / C)) };
      const w = members === 1 ? { K: 1, data: new Float32Array(N).fill(1 / N) } : bootstrapWeights(N, members, 1);
      const Wm = new Float32Array(c.J * M).fill(0.01);
      const bm = new Float32Array(c.J);
      let best = Infinity;
      for (let r = 0; r < 3; r++) {
        const t0 = now();
        const f = await k.forward(Wm, bm, c, w);
        await k.backward(f.Z, c, w);
        best = Math.min(best, now() - t0);
      }
      return best;
    };
    const iterationMs = { js: await iter(js, 1), ortWeb: await iter(kernel, 1), ortWebMembers: await iter(kernel, req.members) };

    t = now();
    const one = await fitStudent(pr.A, pr.P, { kernel });
    const oneSeconds = (now() - t) / 1000;
    const jsOne = await fitStudent(pr.A, pr.P, { kernel: js });
    t = now();
    const ens = await fitEnsembleDetailed(pr.A, pr.P, { kernel, members: req.members, seed: 1 });
    return {
      crossOriginIsolated: (self as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated,
      setupSeconds,
      maxGradDiff,
      gradScale,
      maxLossRelDiff,
      iterationMs,
      oneMember: { seconds: oneSeconds, iterations: one.iterations, objective: one.objective, jsObjective: jsOne.objective },
      ensemble: { seconds: (now() - t) / 1000, fullIterations: ens.full.iterations, memberIterations: ens.memberIterations },
    };
  } finally {
    await kernel.dispose();
  }
}

self.onmessage = (e: MessageEvent<WebBenchRequest>) => {
  run(e.data).then(
    (r) => self.postMessage(r),
    (err: unknown) => self.postMessage({ error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) }),
  );
};
