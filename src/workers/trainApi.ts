/**
 * What the train worker exposes: distill and tune from core/pipeline, with progress reported
 * through a callback (a Comlink proxy across the worker boundary). Kept apart from the worker
 * entry so Node tests run the very same object in a worker thread.
 */
import { distill, tune } from '../core/pipeline/distill.ts';
import type { DistillInput, DistillResult, TuneInput, TuneResult } from '../core/pipeline/types.ts';
import type { Progress } from '../core/types.ts';
import type { KernelFactory } from '../core/student/kernel.ts';

export type ProgressCallback = (p: Progress) => void;

/** Build the API around a kernel factory (onnxruntime-backed in the worker; default pure JS). */
export function createTrainApi(kernel?: () => Promise<KernelFactory | undefined>) {
  return {
    async distill(input: DistillInput, onProgress?: ProgressCallback): Promise<DistillResult> {
      return distill(input, { kernel: await kernel?.(), onProgress: throttle(onProgress) });
    },
    async tune(input: TuneInput, onProgress?: ProgressCallback): Promise<TuneResult> {
      return tune(input, { kernel: await kernel?.(), onProgress: throttle(onProgress) });
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
