/**
 * The UI side of the train worker: lazy start, Float32Array transfer, and cancellation by
 * terminating the worker (a refit has no safe point to stop at; the next call starts a fresh one).
 * The worker keeps the last activations and teacher it received; a tune on the same arrays
 * (same objects: datasets are never changed in place) sends only its small inputs.
 */
import { proxy, transfer, type Remote } from 'comlink';
import type { TrainApi, ProgressCallback, TuneReply } from './trainApi.ts';
import type { DistillInput, DistillResult, TuneInput } from '../core/pipeline/types.ts';
import type { Mat } from '../core/types.ts';
import { workerHandle, type Spawned } from './lifecycle.ts';

export type { Spawned };

export interface CallOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface TuneOptions extends CallOptions {
  /**
   * The UI's standardised activations Â: the reply then carries the refitted student's live
   * logits over exactly these values (`live`). Sent once per array (by identity) and kept by the
   * worker, like the raw activations.
   */
  liveAhat?: Mat;
}

function spawnBrowserWorker(): Spawned {
  const worker = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
  return { endpoint: worker, terminate: () => worker.terminate() };
}

/** What a worker holds: the caller's arrays it received copies of, under an id. */
interface Held {
  data: { id: number; raw: Float32Array; teacher: Float32Array } | null;
  ahat: { id: number; data: Float32Array } | null;
}

let nextId = 0;

export function createTrainClient(spawn: () => Spawned = spawnBrowserWorker) {
  // A fresh worker (first use, after a cancel) holds nothing: `extra` starts empty per worker.
  const worker = workerHandle<TrainApi, Held>(spawn, () => ({ data: null, ahat: null }));

  /** Fresh copies of the big matrices, transferred: the caller keeps its own data. */
  function copies<T extends { raw: Mat; teacher: Mat }>(input: T, held: Held): { copy: T; buffers: ArrayBuffer[]; id: number } {
    const raw = input.raw.data.slice();
    const teacher = input.teacher.data.slice();
    const id = ++nextId;
    held.data = { id, raw: input.raw.data, teacher: input.teacher.data };
    return { copy: { ...input, raw: { ...input.raw, data: raw }, teacher: { ...input.teacher, data: teacher } }, buffers: [raw.buffer, teacher.buffer], id };
  }

  return {
    distill(input: DistillInput, opts: CallOptions = {}): Promise<DistillResult> {
      const slot = worker.get();
      const { copy, buffers, id } = copies(input, slot.extra);
      return worker.abortable(slot, slot.api.distill(transfer(copy, buffers), opts.onProgress && proxy(opts.onProgress), id), opts.signal);
    },
    tune(input: TuneInput, opts: TuneOptions = {}): Promise<TuneReply> {
      const slot = worker.get();
      const progress = opts.onProgress && proxy(opts.onProgress);
      let liveId: number | undefined;
      if (opts.liveAhat) {
        const a = opts.liveAhat;
        if (slot.extra.ahat?.data !== a.data) {
          // A copy, transferred: one N×M copy per activations array, not per refit.
          const copy = a.data.slice();
          slot.extra.ahat = { id: ++nextId, data: a.data };
          slot.api.keepAhat(slot.extra.ahat.id, transfer({ rows: a.rows, cols: a.cols, data: copy }, [copy.buffer])).catch(() => undefined);
        }
        liveId = slot.extra.ahat.id;
      }
      const held = slot.extra.data;
      if (held && held.raw === input.raw.data && held.teacher === input.teacher.data) {
        const { raw: _r, teacher: _t, ...rest } = input;
        return worker.abortable(slot, slot.api.tuneKept({ ...rest, dataId: held.id }, progress, liveId), opts.signal);
      }
      const { copy, buffers, id } = copies(input, slot.extra);
      return worker.abortable(slot, slot.api.tune(transfer(copy, buffers), progress, id, liveId), opts.signal);
    },
    /** Stop the worker (e.g. when the project closes). */
    dispose: worker.dispose,
  };
}

export type TrainClient = ReturnType<typeof createTrainClient>;
