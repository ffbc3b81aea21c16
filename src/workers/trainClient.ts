/**
 * The UI side of the train worker: lazy start, Float32Array transfer, and cancellation by
 * terminating the worker (a refit has no safe point to stop at; the next call starts a fresh one).
 */
import { proxy, transfer, type Remote } from 'comlink';
import type { TrainApi, ProgressCallback } from './trainApi.ts';
import type { DistillInput, DistillResult, TuneInput, TuneResult } from '../core/pipeline/types.ts';
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

export function createTrainClient(spawn: () => Spawned = spawnBrowserWorker) {
  const worker = workerHandle<TrainApi>(spawn);

  function call<T>(run: (api: Remote<TrainApi>) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const slot = worker.get();
    return worker.abortable(slot, run(slot.api), signal);
  }

  return {
    distill(input: DistillInput, opts: CallOptions = {}): Promise<DistillResult> {
      // The big matrices move to the worker as fresh copies: the caller keeps its own data.
      const raw = input.raw.data.slice();
      const teacher = input.teacher.data.slice();
      const copy = { ...input, raw: { ...input.raw, data: raw }, teacher: { ...input.teacher, data: teacher } };
      return call((api) => api.distill(transfer(copy, [raw.buffer, teacher.buffer]), opts.onProgress && proxy(opts.onProgress)), opts.signal);
    },
    tune(input: TuneInput, opts: CallOptions = {}): Promise<TuneResult> {
      return call((api) => api.tune(input, opts.onProgress && proxy(opts.onProgress)), opts.signal);
    },
    /** Stop the worker (e.g. when the project closes). */
    dispose: worker.dispose,
  };
}

export type TrainClient = ReturnType<typeof createTrainClient>;
