/**
 * The UI side of the train worker: lazy start, Float32Array transfer, and cancellation by
 * terminating the worker (a refit has no safe point to stop at; the next call starts a fresh one).
 */
import { proxy, transfer, wrap, type Endpoint, type Remote } from 'comlink';
import type { TrainApi, ProgressCallback } from './trainApi.ts';
import type { DistillInput, DistillResult, TuneInput, TuneResult } from '../core/pipeline/types.ts';
import { CancelledError } from '../core/types.ts';

export interface Spawned {
  endpoint: Endpoint;
  terminate(): void;
}

export interface CallOptions {
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

function spawnBrowserWorker(): Spawned {
  const worker = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
  return { endpoint: worker, terminate: () => worker.terminate() };
}

export function createTrainClient(spawn: () => Spawned = spawnBrowserWorker) {
  let current: { spawned: Spawned; api: Remote<TrainApi> } | null = null;

  function get() {
    if (!current) {
      const spawned = spawn();
      current = { spawned, api: wrap<TrainApi>(spawned.endpoint) };
    }
    return current;
  }

  async function call<T>(run: (api: Remote<TrainApi>) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new CancelledError();
    const w = get();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        w.spawned.terminate();
        if (current === w) current = null;
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([run(w.api), aborted]);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
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
    dispose(): void {
      current?.spawned.terminate();
      current = null;
    },
  };
}

export type TrainClient = ReturnType<typeof createTrainClient>;
