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
 * One batch shared by several prepare workers, their answers merged into the answer one worker
 * would have given. The files are handed out one at a time to whichever worker is free, so a
 * worker slowed down (by the machine, or by a costly file) does not hold the batch up while the
 * other idles (with two fixed halves of a batch of 8 bench photos, one half was seen taking 93 ms
 * and the other 52). Thumbnail-only files go last, as one request.
 */
export function splitPrepare(parts: Prepare[]): Prepare {
  return async (files, cfg, ropts, thumbs) => {
    const perFile: PreparedBatch[] = new Array(files.length);
    const onlyBox: { r?: PreparedBatch } = {};
    const fileThumbs = thumbs ? { side: thumbs.side, only: [] } : undefined;
    let next = 0;
    const tasks = files.length + (thumbs?.only.length ? 1 : 0);
    await Promise.all(
      parts.map(async (p) => {
        while (next < tasks) {
          const i = next++;
          if (i < files.length) perFile[i] = await p([files[i]], cfg, ropts, fileThumbs);
          else onlyBox.r = await p([], cfg, ropts, thumbs);
        }
      }),
    );
    const ok: number[] = [];
    const errors: PreparedBatch['errors'] = [];
    for (const [i, r] of perFile.entries()) {
      if (r.ok.length > 0) ok.push(i);
      for (const e of r.errors) errors.push({ index: i, message: e.message });
    }
    const first = perFile.find((r) => r.ok.length > 0);
    const per = first?.pixels.length ?? 0; // floats per image, regions included
    const pixels = new Float32Array(ok.length * per);
    ok.forEach((i, k) => pixels.set(perFile[i].pixels, k * per));
    const shape = first?.dims ?? perFile[0]?.dims ?? onlyBox.r?.dims ?? [0, 3, 0, 0];
    const R = first?.dims[0] ?? 0; // regions per image
    const out: PreparedBatch = { ok, errors, pixels, dims: [ok.length * R, shape[1], shape[2], shape[3]] };
    if (thumbs) {
      out.thumbs = perFile.map((r) => r.thumbs?.[0] ?? null);
      out.onlyThumbs = onlyBox.r?.onlyThumbs ?? [];
    }
    return out;
  };
}
