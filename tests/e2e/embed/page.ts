// Test page for tests/e2e/embed.test.ts: exposes the embed worker client to page.evaluate.
import { createEmbedClient, type EmbedClient } from '../../../src/workers/embedClient.ts';
import type { EmbedFile, EmbedFilesOptions, EmbedProgress } from '../../../src/workers/embedApi.ts';
import type { Device } from '../../../src/ml/device.ts';

const clients = new Map<string, EmbedClient>();

async function files(names: string[], salt = 0): Promise<EmbedFile[]> {
  return Promise.all(
    names.map(async (n, i) => {
      const b = new Uint8Array(await (await fetch(n.startsWith('/') ? n : `/tests/fixtures/images/${n}`)).arrayBuffer());
      if (!salt) return { id: n, bytes: b };
      // Distinct content per copy (trailing bytes are ignored by the decoders): distinct cache keys.
      const c = new Uint8Array(b.length + 4);
      c.set(b);
      new DataView(c.buffer).setUint32(b.length, salt * 1000 + i);
      return { id: `${i}-${n}`, bytes: c };
    }),
  );
}

const api = {
  async open(name: string, device: Device, model = 'tiny-clip') {
    clients.get(name)?.dispose();
    const c = createEmbedClient({ model, device });
    clients.set(name, c);
    return c.load();
  },
  async texts(name: string, texts: string[], templates?: string[]) {
    return Array.from(await clients.get(name)!.embedTexts(texts, templates));
  },
  async images(name: string, names: string[], opts: EmbedFilesOptions, salt = 0) {
    const r = await clients.get(name)!.embedFiles(await files(names, salt), opts);
    return { ...r, embeddings: Array.from(r.embeddings) };
  },
  /** Starts a long run and cancels it once `stopAfter` images are done; resolves with what it saw. */
  async cancelAfter(name: string, names: string[], salt: number, stopAfter: number) {
    const ctrl = new AbortController();
    let seen: EmbedProgress | null = null;
    const run = clients.get(name)!.embedFiles(await files(names, salt), { batchSize: 1 }, {
      signal: ctrl.signal,
      onProgress: (p) => {
        seen = p;
        if (p.done >= stopAfter) ctrl.abort();
      },
    });
    const outcome = await run.then(() => 'finished', (e: Error) => e.name);
    return { outcome, done: (seen as EmbedProgress | null)?.done ?? 0 };
  },
  stats: (name: string) => clients.get(name)!.stats(),
  async adapter() {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> } }).gpu;
    const a = await gpu?.requestAdapter();
    return a ? { features: [...a.features] } : null;
  },
};

(window as unknown as { embedTest: typeof api }).embedTest = api;
document.getElementById('status')!.textContent = 'ready';
