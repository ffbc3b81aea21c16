/**
 * Worker lifecycle shared by the clients: lazy start on first use, and cancellation by
 * terminating the worker (a model call or a refit has no safe point to stop at); the next call
 * after a cancel starts a fresh worker.
 */
import { wrap, type Endpoint, type Remote } from 'comlink';
import { CancelledError } from '../core/types.ts';

export interface Spawned {
  endpoint: Endpoint;
  terminate(): void;
}

export interface WorkerSlot<Api, Extra> {
  spawned: Spawned;
  api: Remote<Api>;
  extra: Extra;
}

export function workerHandle<Api, Extra = null>(spawn: () => Spawned, init: () => Extra = () => null as Extra) {
  let current: WorkerSlot<Api, Extra> | null = null;

  function get(): WorkerSlot<Api, Extra> {
    if (!current) {
      const spawned = spawn();
      current = { spawned, api: wrap<Api>(spawned.endpoint), extra: init() };
    }
    return current;
  }

  /** Whether `slot` is still the live worker (it is not after a cancel or dispose). */
  function isCurrent(slot: WorkerSlot<Api, Extra>): boolean {
    return current === slot;
  }

  /** Run `work` on `slot`; aborting `signal` terminates that worker and rejects with CancelledError. */
  async function abortable<T>(slot: WorkerSlot<Api, Extra>, work: Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new CancelledError();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        slot.spawned.terminate();
        if (current === slot) current = null;
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  function dispose(): void {
    current?.spawned.terminate();
    current = null;
  }

  return { get, isCurrent, abortable, dispose };
}
