/**
 * Building a project from your own images, end to end in Node (the studio's own code path:
 * state/buildProject.ts over the embed worker's API in-process, memory cache): `npx tsx
 * tools/bench/ownImages.ts [--n 1000] [--model demo-clip|tiny-clip] [--thumbs] [--json]`.
 *
 * Generates N seeded JPEGs (two classes), then times: a first build (every image decoded,
 * thumbnailed and embedded), a rebuild of the same files (embeddings from the cache), and the
 * same files plus 10 new ones (only those 10 reach the model). Per step: wall time, images/s,
 * and how many images the model embedded. Wall-clock on a shared machine: read as upper bounds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProjectFromImages, type BuildEmbedder, type ImageFileRef } from '../../src/state/buildProject.ts';
import { parseCorpus } from '../../src/state/demoProject.ts';
import { createEmbedApi } from '../../src/workers/embedApi.ts';
import { decodeImage, encodeJpeg, thumbnail } from '../../src/data/images/index.ts';
import { cacheKey, memoryEmbeddingCache, sha256Hex } from '../../src/data/cache/index.ts';
import { mulberry32, randNormal } from '../../src/core/math/rng.ts';

const args = process.argv.slice(2);
const arg = (k: string, d: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const N = Number(arg('--n', '1000'));
const MODEL = arg('--model', 'demo-clip');
const ROOT = join(import.meta.dirname, '../..');

function photo(seed: number, red: boolean): Uint8Array {
  const rng = mulberry32(seed);
  const W = 96, H = 72;
  const data = new Uint8Array(W * H * 3);
  const base = red ? [190, 50, 40] : [40, 70, 190];
  for (let p = 0; p < W * H; p++) for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.max(0, Math.min(255, base[c] + Math.round(30 * randNormal(rng))));
  return encodeJpeg({ width: W, height: H, data }, 85);
}
const files = (n: number, offset = 0): ImageFileRef[] => Array.from({ length: n }, (_, k) => {
  const i = k + offset;
  const bytes = photo(i, i % 2 === 0);
  return { path: `${i % 2 ? 'blue' : 'red'}/${i}.jpg`, read: async () => bytes.slice() };
});

const cache = memoryEmbeddingCache();
const api = createEmbedApi({ decode: (b, n) => decodeImage(b, n), hash: sha256Hex, openCache: async () => cache, cacheKey, thumbnail: (img, s) => encodeJpeg(thumbnail(img, s)) });
const load = () => api.load({ model: MODEL, localModelPath: join(ROOT, 'models/') });
const embedder: BuildEmbedder = {
  async describe() { const m = await load(); return { imageModel: null, description: `${m.id} (${m.device} · ${m.dtype})` }; },
  embedTexts: async (t, tpl) => { await load(); return api.embedTexts(t, tpl); },
  // Node has no fast JPEG encoder (jpeg-js: ~95 ms per thumbnail; the browser uses OffscreenCanvas): off unless --thumbs.
  embedFiles: async (f, o, call) => { await load(); return api.embedFiles(f, { ...o, batchSize: 32, thumbnailSide: args.includes('--thumbs') ? o.thumbnailSide : undefined }, (p) => call.onProgress?.(p)); },
};
const corpus = { name: 'general.txt', concepts: parseCorpus(readFileSync(join(ROOT, 'public/corpora/general.txt'), 'utf8')) };
await load();

const rows: { step: string; images: number; seconds: number; imagesPerSecond: number; modelEmbedded: number; fidelity: number }[] = [];
async function step(name: string, list: ImageFileRef[]) {
  const before = api.stats().imagesEmbedded;
  const t0 = performance.now();
  const r = await buildProjectFromImages({ name, files: list, modelId: MODEL, embedder, corpus, teacher: { kind: 'labels' } });
  const s = (performance.now() - t0) / 1000;
  rows.push({ step: name, images: r.dataset.N, seconds: +s.toFixed(2), imagesPerSecond: +(r.dataset.N / s).toFixed(1), modelEmbedded: api.stats().imagesEmbedded - before, fidelity: +r.metrics.fidelity.toFixed(3) });
}
const base = files(N);
await step('first build', base);
await step('rebuild (cached)', base);
await step('+10 new images', [...base, ...files(10, N)]);
if (args.includes('--json')) console.log(JSON.stringify({ model: MODEL, N, rows }));
else {
  console.log(`own-images build, model ${MODEL}, ${N} JPEGs 96×72, corpus ${corpus.concepts.length} concepts, labels teacher, 20 members (Node, in-process)`);
  console.table(rows);
}
