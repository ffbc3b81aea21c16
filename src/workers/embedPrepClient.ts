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

type Prepare = ReturnType<typeof createPrepWorkerClient>;

/**
 * One batch split over several prepare workers (contiguous parts, in order), their answers merged
 * into the answer one worker would have given. Thumbnail-only files all go to the first.
 */
export function splitPrepare(parts: Prepare[]): Prepare {
  return async (files, cfg, ropts, thumbs) => {
    const n = parts.length;
    const per = Math.ceil(files.length / n);
    const chunks = parts.map((_, k) => files.slice(k * per, (k + 1) * per));
    // Every part makes the thumbnails of its own files; the thumbnail-only files go to the first.
    const partThumbs = (k: number) => (thumbs ? { side: thumbs.side, only: k === 0 ? thumbs.only : [] } : undefined);
    const res = await Promise.all(parts.map((p, k) => (chunks[k].length || (k === 0 && thumbs?.only.length) ? p(chunks[k], cfg, ropts, partThumbs(k)) : null)));
    const got = res.filter((r): r is PreparedBatch => r !== null);
    const total = got.reduce((a, r) => a + r.pixels.length, 0);
    const pixels = new Float32Array(total);
    let o = 0;
    const ok: number[] = [];
    const errors: PreparedBatch['errors'] = [];
    const first = got[0];
    let dims: PreparedBatch['dims'] = first ? [0, first.dims[1], first.dims[2], first.dims[3]] : [0, 3, 0, 0];
    const thumbsOut: (Uint8Array | null)[] = [];
    res.forEach((r, k) => {
      if (!r) return;
      pixels.set(r.pixels, o);
      o += r.pixels.length;
      for (const i of r.ok) ok.push(i + k * per);
      for (const e of r.errors) errors.push({ index: e.index + k * per, message: e.message });
      dims = [dims[0] + r.dims[0], dims[1], dims[2], dims[3]];
      if (r.thumbs) thumbsOut.push(...r.thumbs);
    });
    const out: PreparedBatch = { ok, errors, pixels, dims };
    if (thumbs) {
      out.thumbs = thumbsOut;
      out.onlyThumbs = res[0]?.onlyThumbs;
    }
    return out;
  };
}
