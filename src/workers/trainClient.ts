/**
 * The UI side of the train worker: lazy start, Float32Array transfer, and cancellation by
 * terminating the worker (a refit has no safe point to stop at; the next call starts a fresh one).
 * The worker keeps the last activations and teacher it received; a tune on the same arrays
 * (same objects: datasets are never changed in place) sends only its small inputs.
 */
import { proxy, transfer, type Remote } from 'comlink';
import type { TrainApi, ProgressCallback } from './trainApi.ts';
import type { DistillInput, DistillResult, TuneInput, TuneResult } from '../core/pipeline/types.ts';
import type { Mat } from '../core/types.ts';
import { workerHandle, type Spawned } from './lifecycle.ts';

export type { Spawned };

export interface CallOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

function spawnBrowserWorker(): Spawned {
  const worker = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
  return { endpoint: worker, terminate: () => worker.terminate() };
}

/** What a worker holds: the caller's arrays it received copies of, under an id. */
interface Held {
  data: { id: number; raw: Float32Array; teacher: Float32Array } | null;
}

let nextId = 0;

export function createTrainClient(spawn: () => Spawned = spawnBrowserWorker) {
  // A fresh worker (first use, after a cancel) holds nothing: `extra` starts empty per worker.
  const worker = workerHandle<TrainApi, Held>(spawn, () => ({ data: null }));

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
    tune(input: TuneInput, opts: CallOptions = {}): Promise<TuneResult> {
      const slot = worker.get();
      const progress = opts.onProgress && proxy(opts.onProgress);
      const held = slot.extra.data;
      if (held && held.raw === input.raw.data && held.teacher === input.teacher.data) {
        const { raw: _r, teacher: _t, ...rest } = input;
        return worker.abortable(slot, slot.api.tuneKept({ ...rest, dataId: held.id }, progress), opts.signal);
      }
      const { copy, buffers, id } = copies(input, slot.extra);
      return worker.abortable(slot, slot.api.tune(transfer(copy, buffers), progress, id), opts.signal);
    },
    /** Stop the worker (e.g. when the project closes). */
    dispose: worker.dispose,
  };
}

export type TrainClient = ReturnType<typeof createTrainClient>;
