/**
 * The embed worker's side of embedPrep.worker.ts: one helper worker, started on first use,
 * requests answered in order. The file bytes are transferred when they own their whole buffer
 * (the embed worker has hashed them already and needs them no more), copied otherwise.
 */
import type { PrepFile, PreparedBatch, PrepThumbs } from './embedPrep.ts';
import type { PreprocessConfig, RegionOptions } from '../ml/preprocess.ts';
import type { PrepRequest } from './embedPrep.worker.ts';

export function createPrepWorkerClient(spawn: () => Worker = () => new Worker(new URL('./embedPrep.worker.ts', import.meta.url), { type: 'module', name: 'embed-prep' })) {
  let worker: Worker | null = null;
  let next = 0;
  const pending = new Map<number, { resolve(r: PreparedBatch): void; reject(e: Error): void }>();
  function get(): Worker {
    if (worker) return worker;
    const w = spawn();
    w.onmessage = (e: MessageEvent<{ id: number; result?: PreparedBatch; error?: string }>) => {
      const p = pending.get(e.data.id);
      pending.delete(e.data.id);
      if (e.data.result) p?.resolve(e.data.result);
      else p?.reject(new Error(e.data.error));
    };
    w.onerror = (e) => {
      for (const p of pending.values()) p.reject(new Error(`image preparation worker failed: ${e.message}`));
      pending.clear();
      worker = null;
    };
    return (worker = w);
  }
  return function prepare(files: PrepFile[], cfg: PreprocessConfig, ropts: RegionOptions, thumbs?: PrepThumbs): Promise<PreparedBatch> {
    const seen = new Set<ArrayBufferLike>();
    const transfer: ArrayBuffer[] = [];
    const own = (f: PrepFile): PrepFile => {
      const b = f.bytes;
      if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !seen.has(b.buffer) && b.buffer instanceof ArrayBuffer) {
        seen.add(b.buffer);
        transfer.push(b.buffer);
        return f;
      }
      return { id: f.id, bytes: b.slice() };
    };
    const sent = files.map(own);
    const sentThumbs = thumbs ? { side: thumbs.side, only: thumbs.only.map(own) } : undefined;
    const id = next++;
    return new Promise<PreparedBatch>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      get().postMessage({ id, files: sent, cfg, ropts, thumbs: sentThumbs } satisfies PrepRequest, transfer);
    });
  };
}
