// The embed worker's API through Comlink across a real worker thread, as the studio drives it
// across a Web Worker (the browser itself is covered by tests/e2e/embed.test.ts).
import { describe, it, expect, afterEach } from 'vitest';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createEmbedClient, type EmbedClient } from './embedClient.ts';
import type { EmbedProgress } from './embedApi.ts';
import { CancelledError } from '../core/types.ts';

const ENTRY = new URL('../../tools/cli/embedWorkerNode.ts', import.meta.url);
const TSX_API = import.meta.resolve('tsx/esm/api');
const MODELS_DIR = join(import.meta.dirname, '../../models/');
const IMAGES = join(import.meta.dirname, '../../tests/fixtures/images');
const file = (id: string) => ({ id, bytes: new Uint8Array(readFileSync(join(IMAGES, id))) });
let spawned = 0;

function nodeClient(): EmbedClient {
  return createEmbedClient({ model: 'tiny-clip', localModelPath: MODELS_DIR }, () => {
    spawned++;
    // `--import tsx` in execArgv races the worker's entry against tsx's loader registration on
    // Node 20; registering first in a bootstrap and then importing the entry is reliable.
    const boot = `import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`;
    const w = new Worker(boot, { eval: true });
    return { endpoint: nodeEndpoint(w), terminate: () => void w.terminate() };
  });
}

describe('embed worker client', () => {
  let client: EmbedClient | null = null;
  afterEach(() => client?.dispose());

  it('loads once for concurrent callers, embeds texts and files, reports per-file errors and progress', async () => {
    client = nodeClient();
    const before = spawned;
    const [status, texts] = await Promise.all([client.load(), client.embedTexts(['dog', 'cat'])]);
    expect(spawned - before).toBe(1);
    expect(status).toMatchObject({ id: 'tiny-clip', device: 'cpu', dim: 16 });
    expect(texts.length).toBe(32);
    const seen: EmbedProgress[] = [];
    const files = ['rgb_odd.png', 'not_an_image.jpg', 'gray.png', 'corrupt_truncated.png', 'anim.gif', 'lossless.webp'].map(file);
    const r = await client.embedFiles(files, { grid: 2, batchSize: 2 }, { onProgress: (p) => void seen.push(p) });
    expect(r.ids).toEqual(['rgb_odd.png', 'gray.png', 'anim.gif', 'lossless.webp']);
    expect([r.R, r.D, r.embeddings.length]).toEqual([5, 16, 4 * 5 * 16]);
    expect(r.errors.map((e) => e.id)).toEqual(['not_an_image.jpg', 'corrupt_truncated.png']);
    expect(r.errors[0].message).toMatch(/^not_an_image\.jpg: not a supported image/);
    expect(seen.at(-1)).toMatchObject({ stage: 'done', done: 6, total: 6, failed: 2 });
    expect(seen.at(-1)!.imagesPerSecond).toBeGreaterThan(0);
  });

  it('serves repeats from the cache without calling the model', async () => {
    client = nodeClient();
    const a = await client.embedFiles([file('rgb_odd.png'), file('gray.png')]);
    const s1 = await client.stats();
    const b = await client.embedFiles([file('gray.png'), file('rgb_odd.png'), file('big.png')]);
    const s2 = await client.stats();
    expect(b.cached).toBe(2);
    expect(b.computed).toBe(1);
    expect(s2.imagesEmbedded - s1.imagesEmbedded).toBe(1);
    expect(Array.from(b.embeddings.subarray(16, 32))).toEqual(Array.from(a.embeddings.subarray(0, 16)));
    // A different region setting is a different cache entry.
    const c = await client.embedFiles([file('gray.png')], { grid: 3 });
    expect([c.cached, c.R]).toEqual([0, 10]);
  });

  it('makes thumbnails without loading a model', async () => {
    client = nodeClient();
    const t = await client.thumbnails([file('big.png'), file('not_an_image.jpg')], 64);
    expect(Array.from(t[0]!.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
    expect(t[1]).toBeNull();
  });

  it('cancel terminates the worker; the next call starts a fresh one', async () => {
    client = nodeClient();
    await client.load();
    const before = spawned;
    const ctrl = new AbortController();
    const many = Array.from({ length: 120 }, (_, i) => ({ id: `big${i}.png`, bytes: new Uint8Array([...readFileSync(join(IMAGES, 'big.png')), i]) }));
    // One batch of all 120 (decoding them takes well over 50 ms): the abort lands while they are
    // decoded, never inside an onnxruntime-node run — terminating a Node worker thread there can
    // take the whole test process down (2 runs in 10 did). Cancelling mid-run in a Web Worker is
    // covered in Chromium (tests/e2e/ownImages.test.ts, Cancel during a build).
    const run = client.embedFiles(many, { batchSize: 120 }, { signal: ctrl.signal });
    setTimeout(() => ctrl.abort(), 50);
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const t = await client.embedTexts(['dog']);
    expect(t.length).toBe(16);
    expect(spawned - before).toBe(1);
  });
});
