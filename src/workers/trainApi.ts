/**
 * What the train worker exposes: distill and tune from core/pipeline, with progress reported
 * through a callback (a Comlink proxy across the worker boundary). Kept apart from the worker
 * entry so Node tests run the very same object in a worker thread.
 *
 * The worker keeps the activations and teacher of the last call it was asked to keep (`keepAs`),
 * so the refits that follow send only their small inputs (`tuneKept`): copying N×M activations
 * across on every click cost ~170 ms of main-thread time at N = 10k, M = 600.
 */
import { distill, tune } from '../core/pipeline/distill.ts';
import type { DistillInput, DistillResult, TuneInput, TuneResult } from '../core/pipeline/types.ts';
import type { Mat, Progress } from '../core/types.ts';
import type { KernelFactory } from '../core/student/kernel.ts';

export type ProgressCallback = (p: Progress) => void;

/** A tune on the data the worker kept under `dataId`. */
export type TuneKeptInput = Omit<TuneInput, 'raw' | 'teacher'> & { dataId: number };

/** Build the API around a kernel factory (onnxruntime-backed in the worker; default pure JS). */
export function createTrainApi(kernel?: () => Promise<KernelFactory | undefined>) {
  let kept: { id: number; raw: Mat; teacher: Mat } | null = null;
  const keep = (id: number | undefined, raw: Mat, teacher: Mat) => {
    if (id !== undefined) kept = { id, raw, teacher };
  };
  return {
    async distill(input: DistillInput, onProgress?: ProgressCallback, keepAs?: number): Promise<DistillResult> {
      keep(keepAs, input.raw, input.teacher);
      return distill(input, { kernel: await kernel?.(), onProgress: throttle(onProgress) });
    },
    async tune(input: TuneInput, onProgress?: ProgressCallback, keepAs?: number): Promise<TuneResult> {
      keep(keepAs, input.raw, input.teacher);
      return tune(input, { kernel: await kernel?.(), onProgress: throttle(onProgress) });
    },
    async tuneKept(input: TuneKeptInput, onProgress?: ProgressCallback): Promise<TuneResult> {
      if (!kept || kept.id !== input.dataId) throw new Error('the train worker does not hold this data any more');
      const { dataId: _, ...rest } = input;
      return tune({ ...rest, raw: kept.raw, teacher: kept.teacher }, { kernel: await kernel?.(), onProgress: throttle(onProgress) });
    },
  };
}

export type TrainApi = ReturnType<typeof createTrainApi>;

/** At most one message per 100 ms (plus stage changes): progress must not flood the UI thread. */
function throttle(cb?: ProgressCallback): ((p: Progress) => void) | undefined {
  if (!cb) return undefined;
  let last = 0;
  let stage = '';
  return (p) => {
    const now = Date.now();
    if (p.stage !== stage || now - last >= 100 || p.done === p.total) {
      last = now;
      stage = p.stage;
      void cb(p);
    }
  };
}
