// Own images with a region grid (METHODS.md §1–2): a project built with 2×2 holds R = 5 region
// embeddings per image, its raw concept activations are max(0, max_r cos(x_ir, t_j)), and both
// agree with the command line (`concept-studio embed --regions 4`, then the same formula) on the
// same files through the tiny CLIP fixture. Each image is decoded once per build (thumbnail and
// model input from the same pixels), and the region setting is part of the cache key and the export.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activationsInSlices, buildProjectFromImages, type BuildEmbedder, type ImageFileRef } from './buildProject.ts';
import { conceptActivations } from '../core/concepts/activations.ts';
import { createEmbedApi } from '../workers/embedApi.ts';
import { decodeImage, encodeJpeg, thumbnail } from '../data/images/index.ts';
import { cacheKey, memoryEmbeddingCache, sha256Hex } from '../data/cache/index.ts';
import { unloadAll } from '../ml/clip.ts';
import { gridBoxes } from '../ml/preprocess.ts';
import { mulberry32, randNormal } from '../core/math/rng.ts';
import { parseNpy } from '../core/io/npy.ts';
import { createStudioStore } from './store.ts';
import { buildStudentDocument, GRID_OVERLAP } from './exportStudent.ts';
import { serializeStudentExport, parseStudentExport } from '../core/schema/index.ts';
import { embed } from '../../tools/cli/embed.ts';
import { splitJpeg } from '../../tools/fixtures/splitJpeg.ts';

const MODELS_DIR = join(import.meta.dirname, '../../models/');
const TINY = join(MODELS_DIR, 'tiny-clip');
const TRAINING = { lambda: 1e-4, members: 3, seed: 0, heldOutFraction: 0.25 };
const CORPUS = { name: 'colours.txt', concepts: ['red', 'blue', 'green', 'yellow', 'white', 'black', 'sky', 'fire', 'water', 'grass', 'snow', 'rust'] };

let dir = '';
afterAll(() => {
  unloadAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('own images with a 2×2 region grid (tiny CLIP, embed API in-process)', () => {
  it('activations in slices (the page gets its thread back between them) equal one call', async () => {
    const rng = mulberry32(3);
    const N = 37, R = 5, D = 16, M = 9;
    const E = { N, R, D, data: Float32Array.from({ length: N * R * D }, () => randNormal(rng)) };
    const T = { rows: M, cols: D, data: Float32Array.from({ length: M * D }, () => randNormal(rng)) };
    const done: number[] = [];
    const sliced = await activationsInSlices(E, T, undefined, (d) => done.push(d), R * D * M * 4);
    expect(done).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36, 37]);
    expect(Array.from(sliced.data)).toEqual(Array.from(conceptActivations(E, T).data));
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(activationsInSlices(E, T, ctrl.signal, () => {})).rejects.toThrow();
  });

  it('grid crops overlap by a third of a crop, as the export says', () => {
    for (const n of [2, 3]) {
      const b = gridBoxes(2100, 1400, n);
      const cw = b[0][2] - b[0][0];
      expect((b[0][2] - b[1][0]) / cw).toBeCloseTo(GRID_OVERLAP, 3);
    }
  });

  it('R = 5 region embeddings per image; activations match the CLI (embed --regions 4) on the same files; one decode per image', async () => {
    dir = mkdtempSync(join(tmpdir(), 'own-regions-'));
    const paths: string[] = [];
    for (let i = 0; i < 12; i++) {
      const cls = i % 2 ? 'blue' : 'red';
      const main: [number, number, number] = cls === 'red' ? [210, 40, 30] : [30, 50, 210];
      const other: [number, number, number] = [[240, 240, 240], [20, 20, 20], [40, 180, 40]][i % 3] as [number, number, number];
      mkdirSync(join(dir, 'imgs', cls), { recursive: true });
      const p = `${cls}/${cls}-${String(i).padStart(2, '0')}.jpg`;
      writeFileSync(join(dir, 'imgs', p), i % 4 < 2 ? splitJpeg(main, other, i) : splitJpeg(other, main, i));
      paths.push(p);
    }
    const files: ImageFileRef[] = paths.map((p) => ({ path: p, read: async () => new Uint8Array(readFileSync(join(dir, 'imgs', p))) }));

    const decode = vi.fn((b: Uint8Array, n: string) => decodeImage(b, n));
    const keys: string[] = [];
    const api = createEmbedApi({
      decode, hash: sha256Hex, openCache: async () => memoryEmbeddingCache(),
      cacheKey: (k) => (keys.push(k.regions), cacheKey(k)),
      thumbnail: (img, side) => encodeJpeg(thumbnail(img, side)),
    });
    const load = () => api.load({ model: 'tiny-clip', localModelPath: MODELS_DIR });
    const embedder: BuildEmbedder = {
      async describe() {
        const m = await load();
        return { imageModel: { id: m.id, embeddingDim: m.dim, preprocessing: { size: 16, crop: 'center', mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711], resample: 'bicubic', padToSquare: false } }, description: m.id };
      },
      embedTexts: async (t, tpl) => { await load(); return api.embedTexts(t, tpl); },
      embedFiles: async (f, o, call) => { await load(); return api.embedFiles(f, { ...o, batchSize: 5 }, (p) => call.onProgress?.(p)); },
    };
    const r = await buildProjectFromImages({
      name: 'regions', files, modelId: 'tiny-clip', embedder, corpus: CORPUS, grid: 2, chunk: 7,
      teacher: { kind: 'labels' }, training: TRAINING,
    });
    const ds = r.dataset;
    expect(ds.N).toBe(12);
    expect(ds.regionGrid).toBe(2);
    expect(ds.imageEmbeddings).toMatchObject({ R: 5, D: 16 });
    expect(ds.imageEmbeddings!.data.length).toBe(12 * 5 * 16);
    // Decoded once per image: the thumbnail is made from the pixels decoded for the model.
    expect(decode).toHaveBeenCalledTimes(12);
    expect(ds.thumbs!.every((t) => t.startsWith('data:image/jpeg;base64,/9j/'))).toBe(true);
    // The region setting is part of every cache key.
    expect(new Set(keys)).toEqual(new Set(['g2']));

    // The command line on the same folder.
    const out = join(dir, 'emb.npy');
    const quiet = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
    try {
      await embed.run([join(dir, 'imgs'), '--model', TINY, '--regions', '4', '--out', out]);
    } finally {
      quiet.forEach((q) => q.mockRestore());
    }
    const cli = parseNpy(new Uint8Array(readFileSync(out)));
    expect(cli.shape).toEqual([12, 5, 16]);
    const cliIds = readFileSync(join(dir, 'emb.ids.txt'), 'utf8').split('\n').filter(Boolean);
    const T = ds.conceptText!;
    let regionWins = 0;
    let maxDiff = 0;
    for (let i = 0; i < ds.N; i++) {
      const row = cliIds.indexOf(ds.imageNames[i]);
      expect(row).toBeGreaterThanOrEqual(0);
      // Region embeddings agree with the CLI's (same model, same crops; decoders may differ by a grey level).
      for (let q = 0; q < 5 * 16; q++) expect(Math.abs(ds.imageEmbeddings!.data[i * 80 + q] - cli.data[row * 80 + q])).toBeLessThan(2e-3);
      for (let j = 0; j < ds.M; j++) {
        let best = -Infinity;
        let full = 0;
        for (let rr = 0; rr < 5; rr++) {
          let dot = 0;
          for (let d = 0; d < 16; d++) dot += cli.data[(row * 5 + rr) * 16 + d] * T.data[j * 16 + d];
          best = Math.max(best, dot);
          if (rr === 0) full = dot;
        }
        if (best > full + 1e-3 && best > 0) regionWins++;
        maxDiff = Math.max(maxDiff, Math.abs(ds.raw.data[i * ds.M + j] - Math.max(0, best)));
      }
    }
    expect(maxDiff).toBeLessThan(2e-3);
    // The grid matters: for many (image, concept) pairs a crop beats the full image.
    expect(regionWins).toBeGreaterThan(ds.N);

    // The export records the region setting and its check block starts from the 5 region embeddings.
    const store = createStudioStore();
    store.getState().commit({ type: 'load', dataset: ds, ensemble: r.ensemble, label: r.label });
    const doc = buildStudentDocument(store.getState());
    expect(doc.regions).toEqual({ grid: 4, overlap: GRID_OVERLAP });
    const parsed = parseStudentExport(serializeStudentExport(doc));
    expect(parsed.ok).toBe(true);

    // Building again embeds nothing (cache), and still decodes each image once, for its thumbnail.
    const embeddedBefore = api.stats().imagesEmbedded;
    decode.mockClear();
    const r2 = await buildProjectFromImages({ name: 'regions', files, modelId: 'tiny-clip', embedder, corpus: CORPUS, grid: 2, teacher: { kind: 'labels' }, training: TRAINING });
    expect(api.stats().imagesEmbedded).toBe(embeddedBefore);
    expect(decode).toHaveBeenCalledTimes(12);
    expect(Array.from(r2.dataset.imageEmbeddings!.data)).toEqual(Array.from(ds.imageEmbeddings!.data));
  }, 120_000);
});
