// Page for tools/bench/embed.ts: times the embed worker from the UI thread, as the studio sees
// it (worker round trip and transfers included): the vision tower on ready pixels, a bare
// onnxruntime-web loop in its own worker (the baseline), and the studio end to end on encoded
// image files while watching the main thread for long tasks.
import { createEmbedClient, type EmbedClient } from '../../../src/workers/embedClient.ts';
import type { EmbedFile } from '../../../src/workers/embedApi.ts';
import type { Device } from '../../../src/ml/device.ts';
import type { BareMessage, BareRequest, BareResult } from './bare.worker.ts';

function pixels(batch: number): Float32Array {
  const p = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < p.length; i++) p[i] = Math.sin(i * 0.001) * 1.5;
  return p;
}

async function fetchFiles(urls: string[]): Promise<EmbedFile[]> {
  return Promise.all(urls.map(async (u) => ({ id: u, bytes: new Uint8Array(await (await fetch(u)).arrayBuffer()) })));
}

/**
 * Watches the main thread: 'longtask' entries (tasks over 50 ms) and, for resolution below
 * 50 ms, the largest gap between consecutive zero-delay timer callbacks (≈ the longest task
 * plus the 4 ms timer clamp).
 */
function watchMainThread() {
  const longTasks: number[] = [];
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) {
      longTasks.push(e.duration);
      trace.push(`longtask ${e.startTime.toFixed(0)}+${e.duration.toFixed(0)} ${JSON.stringify((e as unknown as { attribution: unknown[] }).attribution?.map((a) => ({ ...(a as object), n: (a as { name: string }).name, c: (a as { containerType: string }).containerType })))}`);
    }
  });
  obs.observe({ type: 'longtask' });
  let maxGap = 0;
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    if (now - last > 30) trace.push(`gap ${last.toFixed(0)}..${now.toFixed(0)}`);
    maxGap = Math.max(maxGap, now - last);
    last = now;
    if (running) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  return async () => {
    running = false;
    await new Promise((r) => setTimeout(r, 100)); // long-task entries are delivered asynchronously
    for (const e of obs.takeRecords()) longTasks.push(e.duration);
    obs.disconnect();
    return { longTasks: longTasks.length, maxLongTaskMs: longTasks.length ? Math.max(...longTasks) : 0, maxTimerGapMs: maxGap };
  };
}

const trace: string[] = [];
const bench = {
  async env() {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ features: Set<string>; info?: { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean } | null> } }).gpu;
    const a = await gpu?.requestAdapter().catch(() => null);
    return {
      isolated: self.crossOriginIsolated,
      cores: navigator.hardwareConcurrency,
      adapter: a ? { fallback: !!(a.info?.isFallbackAdapter ?? a.isFallbackAdapter), f16: a.features.has('shader-f16') } : null,
    };
  },
  async run(model: string, c: { device: Device; dtype: 'fp32' | 'q8'; threads: number; b1: number; b8: number }) {
    const client = createEmbedClient({ model, localModelPath: '/bench-models/', device: c.device, dtype: c.dtype, selfCheck: false, numThreads: c.threads || undefined });
    try {
      const status = await client.load();
      const time = async (batch: number, iters: number) => {
        const p = pixels(batch);
        await client.embedPixels(p, [batch, 3, 224, 224]); // warm-up (shader compile, first run)
        const t0 = performance.now();
        for (let i = 0; i < iters; i++) await client.embedPixels(p, [batch, 3, 224, 224]);
        return (batch * iters) / ((performance.now() - t0) / 1000);
      };
      const b1 = await time(1, c.b1);
      const b8 = c.b8 > 0 ? await time(8, c.b8) : null;
      return { b1, b8, dtype: status.dtype };
    } finally {
      client.dispose();
    }
  },

  /** (a) bare onnxruntime-web: InferenceSession.run on a ready tensor in its own worker. */
  async bareOpen(req: BareRequest): Promise<{ threads: number }> {
    bareWorker?.terminate();
    bareWorker = new Worker(new URL('./bare.worker.ts', import.meta.url), { type: 'module', name: 'bare-ort' });
    return bareCall({ type: 'open', ...req }) as Promise<{ threads: number }>;
  },
  /** Times the bare loop; the main thread is watched too, as a control for (b)'s figure. */
  async bareRun(images: number) {
    const stop = watchMainThread();
    const r = (await bareCall({ type: 'run', images })) as BareResult;
    return { ...r, ...(await stop()) };
  },

  /**
   * (b) the studio end to end: encoded files → embed worker (hash, cache lookup, decode, resize,
   * regions, model, cache store) → embeddings back on the main thread, with the main thread
   * watched for long tasks the whole time. Open loads the model and warms up on one batch.
   */
  async studioOpen(model: string, c: { dtype: 'fp32' | 'q8'; threads: number; batch: number; grid: 1 | 2 | 3; warm: string[]; prepSchedule?: 'overlap' | 'burst' }) {
    studioClient?.dispose();
    studioClient = createEmbedClient({ model, localModelPath: '/bench-models/', device: 'wasm', dtype: c.dtype, selfCheck: false, numThreads: c.threads, prepSchedule: c.prepSchedule });
    const status = await studioClient.load();
    await studioClient.embedFiles(await fetchFiles(c.warm), { batchSize: c.batch, grid: c.grid, useCache: false });
    studioOpts = { batchSize: c.batch, grid: c.grid };
    return status;
  },
  /** Embeds the files (made distinct by `salt`, so every one misses the cache) and times it. */
  async studioRun(urls: string[], salt: number) {
    const files = (await fetchFiles(urls)).map((f, i) => {
      const c = new Uint8Array(f.bytes.length + 4); // trailing bytes: ignored by the decoders, new hash
      c.set(f.bytes);
      new DataView(c.buffer).setUint32(f.bytes.length, salt * 100_000 + i);
      return { id: `${salt}-${f.id}`, bytes: c };
    });
    const progressEl = document.getElementById('progress')!;
    const stop = watchMainThread();
    const t0 = performance.now();
    trace.push(`start ${t0.toFixed(0)}`);
    const r = await studioClient!.embedFiles(files, studioOpts, {
      onProgress: (p) => {
        trace.push(`progress ${performance.now().toFixed(0)} ${p.done}`);
        progressEl.textContent = `${p.done}/${p.total} · ${p.imagesPerSecond.toFixed(2)} img/s`;
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const main = await stop();
    if (r.errors.length) throw new Error(`embedding failed for ${r.errors.map((e) => `${e.id}: ${e.message}`).join('; ')}`);
    return { imagesPerSecond: r.computed / seconds, images: r.computed, cached: r.cached, seconds, ...main };
  },
  close() {
    bareWorker?.terminate();
    studioClient?.dispose();
    bareWorker = null;
    studioClient = null;
  },
  trace: () => trace.splice(0),
};

let bareWorker: Worker | null = null;
let studioClient: EmbedClient | null = null;
let studioOpts: { batchSize: number; grid: 1 | 2 | 3 } = { batchSize: 8, grid: 1 };

function bareCall(m: BareMessage): Promise<unknown> {
  const w = bareWorker!;
  return new Promise((resolve, reject) => {
    w.onmessage = (e: MessageEvent<{ ok: boolean; result?: unknown; error?: string }>) => (e.data.ok ? resolve(e.data.result) : reject(new Error(e.data.error)));
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage(m);
  });
}

(window as unknown as { bench: typeof bench }).bench = bench;
document.getElementById('status')!.textContent = 'ready';
