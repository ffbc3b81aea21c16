/**
 * The UI side of the embed worker: lazy start, one model load shared by concurrent callers,
 * Float32Array results transferred (not copied), and cancellation by terminating the worker —
 * a model call has no safe point to stop at. Finished batches are already in the cache, so the
 * next call (which starts a fresh worker and reloads the model) resumes where this one stopped.
 */
import { proxy, transfer, type Remote } from 'comlink';
import type { EmbedApi } from './embed.worker.ts';
import type { EmbedFile, EmbedFilesOptions, EmbedFilesResult, EmbedLoadOptions, EmbedProgressCallback, ModelStatus } from './embedApi.ts';
import type { EmbedShiftedOptions, EmbedShiftedResult, ShiftSpec } from './embedShift.ts';
import { workerHandle, type Spawned } from './lifecycle.ts';
import { CancelledError } from '../core/types.ts';

export type { Spawned };

export interface EmbedCallOptions {
  onProgress?: EmbedProgressCallback;
  signal?: AbortSignal;
}

function spawnBrowserWorker(): Spawned {
  const worker = new Worker(new URL('./embed.worker.ts', import.meta.url), { type: 'module', name: 'embed' });
  return { endpoint: worker, terminate: () => worker.terminate() };
}

export function createEmbedClient(model: EmbedLoadOptions, spawn: () => Spawned = spawnBrowserWorker) {
  // `extra` holds the model load of that worker, shared by every caller.
  const worker = workerHandle<EmbedApi, { loaded: Promise<ModelStatus> | null }>(spawn, () => ({ loaded: null }));
  let loadProgress: EmbedProgressCallback | undefined;

  /** The worker with its model loaded; every caller awaits the same load. */
  function ready() {
    const w = worker.get();
    if (!w.extra.loaded) {
      w.extra.loaded = w.api.load(model, loadProgress && proxy(loadProgress)) as Promise<ModelStatus>;
      w.extra.loaded.catch(() => {
        if (worker.isCurrent(w)) w.extra.loaded = null;
      });
    }
    return w;
  }

  function call<T>(run: (api: Remote<EmbedApi>) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const w = ready();
    return worker.abortable(w, w.extra.loaded!.then(() => run(w.api)), signal);
  }

  return {
    /** Load now (otherwise the first embed call loads); resolves with device, dtype and why. */
    load(onProgress?: EmbedProgressCallback): Promise<ModelStatus> {
      loadProgress = onProgress;
      return ready().extra.loaded!;
    },
    embedTexts(texts: string[], templates?: string[], opts: EmbedCallOptions = {}): Promise<Float32Array> {
      return call((api) => api.embedTexts(texts, templates), opts.signal);
    },
    /**
     * Embeds image files. The byte buffers are transferred to the worker (the caller's copies
     * become empty); pass copies if you still need them.
     */
    embedFiles(files: EmbedFile[], options: EmbedFilesOptions = {}, opts: EmbedCallOptions = {}): Promise<EmbedFilesResult> {
      // Transfer whole buffers only; a view into a shared buffer (Node's Buffer pool) is copied.
      const own = files.map((f) => (f.bytes.byteOffset === 0 && f.bytes.byteLength === f.bytes.buffer.byteLength ? f : { id: f.id, bytes: f.bytes.slice() }));
      const buffers = [...new Set(own.map((f) => f.bytes.buffer as ArrayBuffer))];
      return call((api) => api.embedFiles(transfer(own, buffers), options, opts.onProgress && proxy(opts.onProgress)), opts.signal);
    },
    /** Shift simulator: each file under each corruption, embedded with the loaded model (bytes are copied). */
    embedShifted(files: EmbedFile[], specs: ShiftSpec[], options: EmbedShiftedOptions = {}, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<EmbedShiftedResult> {
      return call((api) => api.embedShifted(files, specs, options, opts.onProgress && proxy(opts.onProgress)), opts.signal);
    },
    /** JPEG thumbnails (null for files that do not decode); needs no model, so it does not load one. */
    thumbnails(files: EmbedFile[], maxSide = 160): Promise<(Uint8Array | null)[]> {
      return worker.get().api.thumbnails(files, maxSide);
    },
    /** Vision tower on ready pixel_values [B,3,H,W]; the pixels are copied, not transferred. */
    embedPixels(pixels: Float32Array, dims: number[], opts: EmbedCallOptions = {}): Promise<Float32Array> {
      const copy = pixels.slice();
      return call((api) => api.embedPixels(transfer(copy, [copy.buffer]), dims), opts.signal);
    },
    stats(): Promise<{ imagesEmbedded: number; textsEmbedded: number; modelCalls: number }> {
      return worker.get().api.stats();
    },
    /** Stop the worker (model switch, project closed). */
    dispose: worker.dispose,
  };
}

export type EmbedClient = ReturnType<typeof createEmbedClient>;
