/**
 * Student solver benchmark (METHODS.md §4, §5): `npm run bench:student [-- --json] [--quick]
 * [--js-ensemble] [--sizes 10000,50000] [--threads n]` (n = onnxruntime intra-op threads,
 * default its own choice).
 *
 * Seeded synthetic problems (core/student/synthetic.ts: correlated CLIP-like concepts, softmax
 * teacher) with M=600, C=10 and a held-out split of 2000 rows. Per size: kernel timings (JS vs
 * onnxruntime-node, one model = 10 columns and 20 members = 200 columns), one-member fit,
 * 20-member ensemble, fidelity on held-out rows against a tight-tolerance reference solve of the
 * same objective, and the O(N) quick-edit logit update (core/tuning's LiveLogits) at 10k/100k.
 * `--refit` times only the studio's refit after uptune/downtune, before vs after the refit work
 * of issue 5 in one run (studentRefit.ts: `--images`, `--concepts`, `--reps`, `--kernel`).
 * Wall-clock numbers on a shared machine: run it on a quiet box and read them as upper bounds.
 */
import { argmaxRows, logits, takeRows } from '../../src/core/math/linalg.ts';
import { mulberry32, randNormal } from '../../src/core/math/rng.ts';
import type { LinearModel, Mat } from '../../src/core/types.ts';
import {
  bootstrapWeights,
  createJsKernel,
  fitEnsembleDetailed,
  fitStudent,
  refitWithBounds,
  syntheticProblem,
  type ColumnSet,
  type StudentKernel,
} from '../../src/core/student/index.ts';
import { LiveLogits } from '../../src/core/tuning/liveLogits.ts';
import { ortNodeKernelFactory } from '../../src/ml/kernels/ortNode.ts';
import { benchRefit } from './studentRefit.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const jsEnsemble = args.includes('--js-ensemble');
const sizesArg = args.indexOf('--sizes');
const threadsArg = args.indexOf('--threads');
const threads = threadsArg >= 0 ? Number(args[threadsArg + 1]) : 0;
const sizes = sizesArg >= 0 ? args[sizesArg + 1].split(',').map(Number) : quick ? [10_000] : [10_000, 50_000];
const M = 600;
const C = 10;
const HELD_OUT = 2000;
const MEMBERS = 20;

const log = (s: string) => {
  if (!json) process.stdout.write(s + '\n');
};
const secs = (ms: number) => Math.round(ms) / 1000;
const now = () => performance.now();

function fidelity(A: Mat, P: Mat, model: LinearModel): number {
  const s = argmaxRows(logits(A, model));
  const t = argmaxRows(P);
  let agree = 0;
  for (let i = 0; i < A.rows; i++) agree += s[i] === t[i] ? 1 : 0;
  return agree / A.rows;
}

function columns(k: number): ColumnSet {
  return {
    J: C * k,
    cls: Int32Array.from({ length: C * k }, (_, j) => j % C),
    mem: Int32Array.from({ length: C * k }, (_, j) => Math.floor(j / C)),
  };
}

/** Best-of-`reps` milliseconds of one forward + one backward call with J = 10·k columns. */
async function kernelIteration(kernel: StudentKernel, N: number, k: number, reps: number): Promise<number> {
  const cols = columns(k);
  const rowW = k === 1 ? { K: 1, data: new Float32Array(N).fill(1 / N) } : bootstrapWeights(N, k, 1);
  const r = mulberry32(5);
  const W = Float32Array.from({ length: cols.J * M }, () => 0.02 * randNormal(r));
  const b = new Float32Array(cols.J);
  let best = Infinity;
  for (let t = 0; t < reps; t++) {
    const t0 = now();
    const f = await kernel.forward(W, b, cols, rowW);
    await kernel.backward(f.Z, cols, rowW);
    best = Math.min(best, now() - t0);
  }
  return best;
}

/** Median time of one slider move through core/tuning's LiveLogits (a drag of one weight). */
function quickEdit(N: number): { liveLogitsMs: number; rowMajorLoopMs: number } {
  // Plain Gaussian activations: the update's cost does not depend on their structure.
  const r = mulberry32(7);
  const A = Float32Array.from({ length: N * M }, () => randNormal(r));
  const model: LinearModel = { W: Float32Array.from({ length: C * M }, () => 0.05 * randNormal(r)), b: new Float32Array(C), C, M };
  const live = new LiveLogits({ rows: N, cols: M, data: A }, model);
  const times: number[] = [];
  for (let s = 0; s < 60; s++) {
    const t0 = now();
    live.setWeight(3, 17, 0.05 + 0.01 * s);
    times.push(now() - t0);
  }
  // The textbook update z[i·C + c] += Δ·A[i·M + j] on row-major Z, for comparison.
  const Z = new Float32Array(N * C);
  const loop: number[] = [];
  for (let s = 0; s < 60; s++) {
    const t0 = now();
    const d = 0.01;
    for (let i = 0; i < N; i++) Z[i * C + 3] += d * A[i * M + 17];
    loop.push(now() - t0);
  }
  const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return { liveLogitsMs: median(times.slice(5)), rowMajorLoopMs: median(loop.slice(5)) };
}

interface SizeResult {
  N: number;
  M: number;
  C: number;
  kernelIterationMs: Record<string, { oneModel: number; members20?: number }>;
  reference: { seconds: number; iterations: number; objective: number; heldOutFidelity: number };
  oneMember: Record<string, { seconds: number; iterations: number; objectiveGap: number; heldOutFidelity: number }>;
  ensemble: Record<string, { seconds: number; fullIterations: number; memberIterations: number; servedHeldOutFidelity: number }>;
  /** Tune: ban the strongest concept of class 0 and double the second, refit all members. */
  refit: Record<string, { seconds: number; servedHeldOutFidelity: number }>;
  ortKernelSetupSeconds: number;
}

async function benchSize(N: number): Promise<SizeResult> {
  log(`\n== N=${N} (train) + ${HELD_OUT} held out, M=${M}, C=${C}, ort threads ${threads || 'default'}`);
  const t0 = now();
  const pr = syntheticProblem({ N: N + HELD_OUT, M, C, seed: 1 });
  const train = Array.from({ length: N }, (_, i) => i);
  const test = Array.from({ length: HELD_OUT }, (_, i) => N + i);
  const A = takeRows(pr.A, train);
  const P = takeRows(pr.P, train);
  const At = takeRows(pr.A, test);
  const Pt = takeRows(pr.P, test);
  log(`data generated in ${secs(now() - t0)} s`);

  const t1 = now();
  const ort = await ortNodeKernelFactory({ threads })(A.data, P.data, N, M, C);
  const setup = secs(now() - t1);
  const js = createJsKernel(A, P);
  const out: SizeResult = { N, M, C, kernelIterationMs: {}, reference: null!, oneMember: {}, ensemble: {}, refit: {}, ortKernelSetupSeconds: setup };
  try {
    // Kernel speed: one FISTA iteration's GEMM work (forward + backward).
    const jsMembers = N <= 10_000;
    out.kernelIterationMs.js = { oneModel: await kernelIteration(js, N, 1, 3) };
    if (jsMembers) out.kernelIterationMs.js.members20 = await kernelIteration(js, N, MEMBERS, 1);
    out.kernelIterationMs['ort-node'] = { oneModel: await kernelIteration(ort, N, 1, 10), members20: await kernelIteration(ort, N, MEMBERS, 5) };
    for (const [k, v] of Object.entries(out.kernelIterationMs)) {
      log(`kernel ${k.padEnd(8)} fwd+bwd: 1 model ${v.oneModel.toFixed(1)} ms` + (v.members20 ? `, 20 members ${v.members20.toFixed(1)} ms` : ''));
    }
    const ratio = out.kernelIterationMs.js.oneModel / out.kernelIterationMs['ort-node'].oneModel;
    log(`ort-node / js speed-up per iteration (1 model): ${ratio.toFixed(1)}×`);

    // Reference: the same objective solved to a tight tolerance.
    let t = now();
    const ref = await fitStudent(A, P, { kernel: ort, tol: 1e-7, maxIter: 5000 });
    out.reference = { seconds: secs(now() - t), iterations: ref.iterations, objective: ref.objective, heldOutFidelity: fidelity(At, Pt, ref.model) };
    log(`reference (tol 1e-7): ${out.reference.seconds} s, ${ref.iterations} it, objective ${ref.objective.toFixed(6)}, held-out fidelity ${out.reference.heldOutFidelity.toFixed(4)}`);

    const kernels: [string, StudentKernel][] = [['ort-node', ort]];
    if (N <= 10_000) kernels.push(['js', js]);
    for (const [name, kernel] of kernels) {
      t = now();
      const one = await fitStudent(A, P, { kernel });
      out.oneMember[name] = { seconds: secs(now() - t), iterations: one.iterations, objectiveGap: one.objective - ref.objective, heldOutFidelity: fidelity(At, Pt, one.model) };
      const o = out.oneMember[name];
      log(`one member [${name}]: ${o.seconds} s, ${o.iterations} it, objective gap ${o.objectiveGap.toExponential(2)}, held-out fidelity ${o.heldOutFidelity.toFixed(4)}`);
    }

    const ensKernels: [string, StudentKernel][] = [['ort-node', ort]];
    if (jsEnsemble && N <= 10_000) ensKernels.push(['js', js]);
    for (const [name, kernel] of ensKernels) {
      t = now();
      const e = await fitEnsembleDetailed(A, P, { kernel, members: MEMBERS, seed: 1 });
      out.ensemble[name] = {
        seconds: secs(now() - t),
        fullIterations: e.full.iterations,
        memberIterations: e.memberIterations,
        servedHeldOutFidelity: fidelity(At, Pt, e.ensemble.served),
      };
      const o = out.ensemble[name];
      log(`${MEMBERS}-member ensemble [${name}]: ${o.seconds} s (full fit ${o.fullIterations} it, members ${o.memberIterations} it), served held-out fidelity ${o.servedHeldOutFidelity.toFixed(4)}`);

      const W = e.ensemble.served.W;
      const order = Array.from({ length: M }, (_, j) => j).sort((a, b) => Math.abs(W[b]) - Math.abs(W[a]));
      const lo = new Float32Array(C * M).fill(-Infinity);
      const hi = new Float32Array(C * M).fill(Infinity);
      lo[order[0]] = hi[order[0]] = 0;
      const w1 = W[order[1]];
      lo[order[1]] = hi[order[1]] = 2 * w1;
      t = now();
      const tuned = await refitWithBounds(A, P, e.ensemble, { lo, hi }, { kernel, seed: 1 });
      out.refit[name] = { seconds: secs(now() - t), servedHeldOutFidelity: fidelity(At, Pt, tuned.served) };
      log(`tune refit [${name}] (ban 1 weight, pin 1 at 2×): ${out.refit[name].seconds} s, served held-out fidelity ${out.refit[name].servedHeldOutFidelity.toFixed(4)}`);
    }
  } finally {
    await ort.dispose();
  }
  return out;
}

async function main(): Promise<void> {
  if (args.includes('--refit')) {
    const r = await benchRefit(log);
    if (json) process.stdout.write(JSON.stringify({ bench: 'student-refit', ...r }) + '\n');
    return;
  }
  const results: SizeResult[] = [];
  for (const N of sizes) results.push(await benchSize(N));
  log('\n== quick edit (one slider move, O(N))');
  const edits: Record<string, ReturnType<typeof quickEdit>> = {};
  for (const N of [10_000, 100_000]) {
    edits[N] = quickEdit(N);
    log(`N=${N}: LiveLogits.setWeight ${edits[N].liveLogitsMs.toFixed(3)} ms, row-major loop ${edits[N].rowMajorLoopMs.toFixed(3)} ms`);
  }
  if (json) process.stdout.write(JSON.stringify({ bench: 'student', threads: threads || 'default', sizes: results, quickEdit: edits }) + '\n');
}

await main();
