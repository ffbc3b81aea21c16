/**
 * `npm run bench:student -- --refit [--images 10000] [--concepts 40,124,600] [--reps 3]
 * [--kernel auto|ort|js] [--json]`: the refit after uptune/downtune (METHODS.md §5) as the train
 * worker runs it, before and after the refit work of issue 5, in one run.
 *
 * Data: the studio's synthetic project (`?synthetic=N&concepts=M`: C = 5 classes, 20 % held out,
 * 20 members), distilled once through the pipeline on a kept kernel chosen as the worker chooses
 * (auto: the JS kernel up to N·M = 400k, else onnxruntime — here onnxruntime-node, in the browser
 * onnxruntime-web). Then, from the distilled student each time (tune, undo, tune…, as
 * `npm run bench:ui -- --only refit` clicks), uptune and downtune "new part" for "ok" ×2, timed
 * in two ways, interleaved so both see the same machine load:
 *  - before: what `tune` did until this change, rebuilt here step by step: check the inputs,
 *    standardise all N×M activations, copy the distillation rows, refit every member column
 *    (`reuseSolved: false`), logits of all images for the predictions;
 *  - after: core/pipeline's `tune` on the kept kernel: solved columns skipped, per-project data
 *    kept, only changed classes' logits recomputed.
 * Wall time and process CPU time (onnxruntime's threads included) per refit; the answer of both
 * (largest served-weight difference, share of equal predictions) so speed is not bought with it.
 */
import { cpus, loadavg } from 'node:os';
import { makeSyntheticProject } from '../../src/state/demoSynthetic.ts';
import { checkInputs, distill, predictAll, tune } from '../../src/core/pipeline/distill.ts';
import { standardise } from '../../src/core/concepts/stats.ts';
import { argmaxRows, takeRows } from '../../src/core/math/linalg.ts';
import { computeMetrics } from '../../src/core/metrics/metrics.ts';
import { createJsKernel, refitWithBoundsDetailed, type KernelFactory } from '../../src/core/student/index.ts';
import { cachingKernelFactory } from '../../src/core/student/kernelCache.ts';
import { tuneBox, freeBox } from '../../src/core/tuning/bounds.ts';
import { ortNodeKernelFactory } from '../../src/ml/kernels/ortNode.ts';
import type { Ensemble } from '../../src/core/types.ts';
import type { TuneInput } from '../../src/core/pipeline/types.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : dflt;
};

interface Timed {
  wallMs: number;
  cpuMs: number;
}

export interface RefitSize {
  N: number;
  M: number;
  C: number;
  kernel: string;
  distillSeconds: number;
  before: Timed[];
  after: Timed[];
  /** Member columns solved by the after-refits (of members × classes). */
  solvedColumns: number[];
  totalColumns: number;
  iterationsBefore: number[];
  iterationsAfter: number[];
  /** max |W_after − W_before| over the served weights, and share of equal predictions (all images). */
  maxServedDiff: number;
  predictionAgreement: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed<T>(f: () => Promise<T>): Promise<[T, Timed]> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await f();
  const c = process.cpuUsage(c0);
  return [r, { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 }];
}

/** `tune` as it was before issue 5's refit work (see the header), with iteration count. */
async function tuneBefore(input: TuneInput, kernel: KernelFactory): Promise<{ ensemble: Ensemble; predictions: Int32Array; iterations: number }> {
  const { raw, teacher, labels, split, stats } = input;
  checkInputs(raw, teacher, labels);
  const Ahat = standardise(raw, stats);
  const r = await refitWithBoundsDetailed(takeRows(Ahat, split.train), takeRows(teacher, split.train), input.current, input.bounds, { seed: input.seed ?? 0, kernel, reuseSolved: false });
  const predictions = predictAll(Ahat, r.ensemble);
  computeMetrics(predictions, argmaxRows(teacher), teacher.cols, labels, split.heldOut);
  return { ensemble: r.ensemble, predictions, iterations: r.iterations };
}

export async function benchRefit(log: (s: string) => void): Promise<{ sizes: RefitSize[]; machine: { cpus: number; loadBefore: number; loadAfter: number } }> {
  const N = Number(opt('--images', '10000'));
  const Ms = opt('--concepts', '40,124,600').split(',').map(Number);
  const reps = Number(opt('--reps', '3'));
  const which = opt('--kernel', 'auto');
  const loadBefore = loadavg()[0];
  const sizes: RefitSize[] = [];
  log(`\n== refit after uptune/downtune, N=${N} images, C=5, 20 members, kernel ${which} (before = tune until issue 5, after = now; same run, interleaved)`);
  for (const M of Ms) {
    const { dataset: ds } = makeSyntheticProject({ seed: 7, N, M });
    const ntrain = Math.round(N * 0.8);
    const useJs = which === 'js' || (which === 'auto' && ntrain * M <= 400_000);
    const ort = ortNodeKernelFactory({ threads: 2 });
    const make: KernelFactory = useJs ? async (A, P, n, m, c) => createJsKernel({ rows: n, cols: m, data: A }, { rows: n, cols: c, data: P }) : ort;
    const kernel = cachingKernelFactory(make);
    const [d, dt] = await timed(() => distill({ raw: ds.raw, teacher: ds.teacher, labels: ds.labels ?? undefined, holdout: 0.2, members: 20, seed: 0 }, { kernel }));
    const j = ds.concepts.indexOf('new part');
    const out: RefitSize = {
      N, M, C: ds.C, kernel: useJs ? 'js' : 'ort-node', distillSeconds: dt.wallMs / 1000, before: [], after: [], solvedColumns: [], totalColumns: 20 * ds.C,
      iterationsBefore: [], iterationsAfter: [], maxServedDiff: 0, predictionAgreement: 1,
    };
    let agreeSum = 0;
    let agreeN = 0;
    for (let r = 0; r < reps; r++) {
      for (const op of ['uptune', 'downtune'] as const) {
        const box = tuneBox([{ kind: op, c: 0, j, factor: 2 }], d.ensemble.served, freeBox(ds.C, ds.M)).box;
        const input: TuneInput = { raw: ds.raw, teacher: ds.teacher, labels: ds.labels ?? undefined, stats: d.stats, split: d.split, current: d.ensemble, bounds: box, seed: 0 };
        const [b, tb] = await timed(() => tuneBefore(input, kernel));
        let iters = 0;
        const [a, ta] = await timed(() => tune(input, { kernel, onProgress: (p) => void (iters = p.done) }));
        out.before.push(tb);
        out.after.push(ta);
        out.iterationsBefore.push(b.iterations);
        out.iterationsAfter.push(iters);
        for (let q = 0; q < a.ensemble.served.W.length; q++) out.maxServedDiff = Math.max(out.maxServedDiff, Math.abs(a.ensemble.served.W[q] - b.ensemble.served.W[q]));
        for (let i = 0; i < N; i++) agreeSum += a.predictions[i] === b.predictions[i] ? 1 : 0;
        agreeN += N;
      }
    }
    // Columns the after-refit solved: ask the solver directly on the kept kernel (same call as tune's).
    const prep = takeRows(standardise(ds.raw, d.stats), d.split.train);
    const box = tuneBox([{ kind: 'uptune', c: 0, j, factor: 2 }], d.ensemble.served, freeBox(ds.C, ds.M)).box;
    const probe = await refitWithBoundsDetailed(prep, takeRows(ds.teacher, d.split.train), d.ensemble, box, { seed: 0, kernel });
    out.solvedColumns.push(probe.solvedColumns);
    out.predictionAgreement = agreeSum / agreeN;
    await kernel.clear();
    sizes.push(out);
    const f = (xs: Timed[], k: keyof Timed) => (median(xs.map((x) => x[k])) / 1000).toFixed(2);
    log(`M=${M} [${out.kernel}] distil ${out.distillSeconds.toFixed(1)} s; refit median wall ${f(out.before, 'wallMs')} → ${f(out.after, 'wallMs')} s `
      + `(×${(median(out.before.map((x) => x.wallMs)) / median(out.after.map((x) => x.wallMs))).toFixed(1)}), CPU ${f(out.before, 'cpuMs')} → ${f(out.after, 'cpuMs')} s `
      + `(×${(median(out.before.map((x) => x.cpuMs)) / median(out.after.map((x) => x.cpuMs))).toFixed(1)}); iterations ${median(out.iterationsBefore)} → ${median(out.iterationsAfter)}, `
      + `columns solved ${out.totalColumns} → ${probe.solvedColumns}; answer: max |ΔW| ${out.maxServedDiff.toExponential(1)}, predictions equal ${(100 * out.predictionAgreement).toFixed(2)} %`);
  }
  const machine = { cpus: cpus().length, loadBefore: +loadBefore.toFixed(2), loadAfter: +loadavg()[0].toFixed(2) };
  log(`machine: ${machine.cpus} CPUs, load average ${machine.loadBefore} before, ${machine.loadAfter} after`);
  return { sizes, machine };
}
