/**
 * What the train worker exposes: distill and tune from core/pipeline, with progress reported
 * through a callback (a Comlink proxy across the worker boundary). Kept apart from the worker
 * entry so Node tests run the very same object in a worker thread.
 *
 * The worker keeps the activations and teacher of the last call it was asked to keep (`keepAs`),
 * so the refits that follow send only their small inputs (`tuneKept`): copying N×M activations
 * across on every click cost ~170 ms of main-thread time at N = 10k, M = 600.
 */
import { transfer } from 'comlink';
import { distill, tune } from '../core/pipeline/distill.ts';
import type { DistillInput, DistillResult, TuneInput, TuneResult } from '../core/pipeline/types.ts';
import type { Mat, Progress } from '../core/types.ts';
import type { KernelFactory } from '../core/student/kernel.ts';
import { liveLogitsState, type LiveLogitsState } from '../core/tuning/liveLogits.ts';

export type ProgressCallback = (p: Progress) => void;

/** A tune on the data the worker kept under `dataId`. */
export type TuneKeptInput = Omit<TuneInput, 'raw' | 'teacher'> & { dataId: number };

/**
 * A refit's result plus, when the caller asked for it (`liveId`), the refitted student's logits
 * and predictions over the UI's Â (core LiveLogits' state, computed here with the same code), so
 * the UI thread adopts them instead of an O(N·M·C) recompute when the result arrives.
 */
export type TuneReply = TuneResult & { live?: LiveLogitsState };

/** Build the API around a kernel factory (onnxruntime-backed in the worker; default pure JS). */
export function createTrainApi(kernel?: () => Promise<KernelFactory | undefined>) {
  let kept: { id: number; raw: Mat; teacher: Mat } | null = null;
  /** The UI's standardised activations Â (the very values its LiveLogits uses), under an id. */
  let keptAhat: { id: number; ahat: Mat } | null = null;
  const keep = (id: number | undefined, raw: Mat, teacher: Mat) => {
    if (id !== undefined) kept = { id, raw, teacher };
  };
  /** The result, with the live state when asked for, its big arrays transferred (not copied). */
  const reply = (r: TuneResult, liveId: number | undefined): TuneReply => {
    // Without the asked-for Â the UI recomputes the logits itself: slower, never wrong.
    if (liveId === undefined || !keptAhat || keptAhat.id !== liveId) return r;
    const live = liveLogitsState(keptAhat.ahat, r.ensemble.served);
    return transfer({ ...r, live }, [live.Z.buffer, live.zBest.buffer, live.pred.buffer]);
  };
  return {
    async distill(input: DistillInput, onProgress?: ProgressCallback, keepAs?: number): Promise<DistillResult> {
      keep(keepAs, input.raw, input.teacher);
      return distill(input, { kernel: await kernel?.(), onProgress: throttle(onProgress) });
    },
    /** Keep the UI's Â under `id` for the live logits of later refits (replaces the one kept before). */
    keepAhat(id: number, ahat: Mat): void {
      keptAhat = { id, ahat };
    },
    async tune(input: TuneInput, onProgress?: ProgressCallback, keepAs?: number, liveId?: number): Promise<TuneReply> {
      keep(keepAs, input.raw, input.teacher);
      return reply(await tune(input, { kernel: await kernel?.(), onProgress: throttle(onProgress) }), liveId);
    },
    async tuneKept(input: TuneKeptInput, onProgress?: ProgressCallback, liveId?: number): Promise<TuneReply> {
      if (!kept || kept.id !== input.dataId) throw new Error('the train worker does not hold this data any more');
      const { dataId: _, ...rest } = input;
      return reply(await tune({ ...rest, raw: kept.raw, teacher: kept.teacher }, { kernel: await kernel?.(), onProgress: throttle(onProgress) }), liveId);
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
