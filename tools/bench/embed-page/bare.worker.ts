/**
 * The baseline for tools/bench/embed.ts: a bare onnxruntime-web InferenceSession.run loop on a
 * ready pixel tensor, in a worker, with the same ORT build (the asyncify build transformers.js
 * v4 imports), the same wasm files, execution provider, dtype file and thread count as the
 * studio's embed worker — no transformers.js, no decoding, no preprocessing, no transfers.
 */
import * as ort from 'onnxruntime-web/webgpu';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

export interface BareRequest {
  /** URL of the vision_model*.onnx file. */
  url: string;
  threads: number;
  batch: number;
}

export interface BareResult {
  imagesPerSecond: number;
  images: number;
  seconds: number;
  threads: number;
}

/** 'open' loads the session and runs once (warm-up); 'run' times `images` (whole batches). */
export type BareMessage = ({ type: 'open' } & BareRequest) | { type: 'run'; images: number };

let session: ort.InferenceSession | null = null;
let feed: Record<string, ort.Tensor> = {};
let batch = 1;

async function runOnce(): Promise<void> {
  const out = await session!.run(feed);
  // Read the output as the studio does, so both sides pay for it.
  void (out[session!.outputNames[0]].data as Float32Array)[0];
  for (const t of Object.values(out)) t.dispose();
}

self.onmessage = async (e: MessageEvent<BareMessage>) => {
  try {
    const m = e.data;
    if (m.type === 'open') {
      ort.env.wasm.wasmPaths = { mjs: new URL(ortMjs, self.location.href).href, wasm: new URL(ortWasm, self.location.href).href };
      ort.env.wasm.numThreads = m.threads;
      ort.env.wasm.proxy = false;
      const bytes = new Uint8Array(await (await fetch(m.url)).arrayBuffer());
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      batch = m.batch;
      const px = new Float32Array(batch * 3 * 224 * 224);
      for (let i = 0; i < px.length; i++) px[i] = Math.sin(i * 0.001) * 1.5;
      feed = { [session.inputNames[0]]: new ort.Tensor('float32', px, [batch, 3, 224, 224]) };
      await runOnce(); // warm-up: first-run allocations
      self.postMessage({ ok: true, result: { threads: ort.env.wasm.numThreads } });
      return;
    }
    const runs = Math.ceil(m.images / batch);
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) await runOnce();
    const seconds = (performance.now() - t0) / 1000;
    self.postMessage({ ok: true, result: { imagesPerSecond: (runs * batch) / seconds, images: runs * batch, seconds, threads: ort.env.wasm.numThreads ?? 0 } satisfies BareResult });
  } catch (err) {
    self.postMessage({ ok: false, error: (err as Error)?.stack ?? String(err) });
  }
};
