// Page for tools/bench/embed.ts: times the embed worker's vision tower from the UI thread, as
// the studio sees it (worker round trip and transfers included).
import { createEmbedClient } from '../../../src/workers/embedClient.ts';
import type { Device } from '../../../src/ml/device.ts';

function pixels(batch: number): Float32Array {
  const p = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < p.length; i++) p[i] = Math.sin(i * 0.001) * 1.5;
  return p;
}

const bench = {
  async env() {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ features: Set<string>; info?: { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean } | null> } }).gpu;
    const a = await gpu?.requestAdapter().catch(() => null);
    return {
      isolated: self.crossOriginIsolated,
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
};

(window as unknown as { bench: typeof bench }).bench = bench;
document.getElementById('status')!.textContent = 'ready';
