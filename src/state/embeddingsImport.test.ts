// @vitest-environment node
// Precomputed embeddings → preview → project: through the real file checks and the real build
// (buildProjectFromEmbeddings), with files written by the CLI's own .npy writer.
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../core/io/npy.ts';
import { mulberry32, randNormal } from '../core/math/rng.ts';
import { buildFromEmbeddingImport, modelsFor, placeholderThumb, previewEmbeddingFiles, type KnownModel } from './embeddingsImport.ts';
import type { BuildEmbedder } from './buildProject.ts';
import { createStudioStore } from './store.ts';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { exportProjectZip, importProjectZip, thumbMime } from './projectZip.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const KNOWN: KnownModel[] = [
  { id: 'demo-clip', label: 'Demo CLIP (bundled)', dim: null },
  { id: 'Xenova/clip-vit-base-patch32', label: 'CLIP ViT-B/32 (OpenAI)', dim: 512 },
  { id: 'Xenova/clip-vit-base-patch16', label: 'CLIP ViT-B/16 (OpenAI)', dim: 512 },
  { id: 'tiny-clip', label: 'Tiny CLIP test fixture', dim: 16, hidden: true },
];
const TRAINING = { lambda: 1e-4, members: 3, seed: 0, heldOutFraction: 0.25 };
const CONCEPTS = ['red', 'blue', 'green', 'round', 'square', 'metal'];

/** N images of 3 classes in 8-D: class c points along concept axis c, plus noise; concept j = axis j. */
function files(N: number, opts: { withText: boolean; R?: number }) {
  const R = opts.R ?? 1;
  const rng = mulberry32(5);
  const data = new Float32Array(N * R * 8);
  const ids: string[] = [];
  const cls = ['apple', 'sea', 'leaf'];
  for (let i = 0; i < N; i++) {
    ids.push(`${cls[i % 3]}/img${i}.png`);
    for (let r = 0; r < R; r++) for (let d = 0; d < 8; d++) data[(i * R + r) * 8 + d] = 0.3 * randNormal(rng) + (d === i % 3 ? 2 : 0) + 0.3;
  }
  const text = new Float32Array(CONCEPTS.length * 8);
  CONCEPTS.forEach((_, j) => (text[j * 8 + j] = 1));
  return [
    { name: 'emb.npy', bytes: writeNpy(data, R === 1 ? [N, 8] : [N, R, 8]) },
    { name: 'emb.ids.txt', bytes: enc(ids.join('\n') + '\n') },
    { name: 'concepts.txt', bytes: enc(CONCEPTS.join('\n')) },
    ...(opts.withText ? [{ name: 'concepts.npy', bytes: writeNpy(text, [CONCEPTS.length, 8]) }] : []),
  ];
}

describe('precomputed embeddings → project', () => {
  it('preview: sizes, classes from the folders in the ids, notes (rows normalised), and the project built from them', async () => {
    const p = await previewEmbeddingFiles(files(60, { withText: true, R: 5 }), KNOWN);
    expect(p.problems).toEqual([]);
    expect(p.imp && [p.imp.N, p.imp.R, p.imp.D]).toEqual([60, 5, 8]);
    expect(p.classes).toEqual([['apple', 20], ['leaf', 20], ['sea', 20]]);
    expect(p.unlabelled).toBe(0);
    expect(p.notes.join()).toMatch(/300 embeddings of 300 were not unit length .* normalised them/);
    expect(p.models).toEqual([]);
    expect(p.modelNote).toMatch(/No model this studio knows gives 8-dimensional embeddings \(known sizes: 512\)/);

    const store = createStudioStore();
    const { dataset, ensemble } = makeSyntheticProject({ seed: 1, N: 40, M: 6 });
    store.getState().commit({ type: 'load', dataset, ensemble, label: 'Load synthetic' });
    const r = await buildFromEmbeddingImport(p.imp!, { name: 'imported', modelId: null, teacher: 'labels', corpus: null, training: TRAINING });
    const ds = r.dataset;
    expect([ds.N, ds.C, ds.classes, ds.regionGrid]).toEqual([60, 3, ['apple', 'leaf', 'sea'], 2]);
    expect(ds.imageNames[0]).toBe('apple/img0.png');
    expect(ds.source).toEqual({ kind: 'imported', name: 'imported' });
    expect(ds.thumbs?.[0]).toBe(placeholderThumb('apple/img0.png'));
    expect(ds.concepts).toEqual(expect.arrayContaining(['red', 'blue', 'green']));
    // Activation-only (no model): the student still learns the classes from the concepts.
    expect(ds.imageModel ?? null).toBe(null);
    expect(r.metrics.accuracy).toBeGreaterThan(0.9);
    store.getState().commit({ type: 'load', dataset: r.dataset, ensemble: r.ensemble, label: r.label });
    expect(store.getState().dataset?.name).toBe('imported');

    // The project file keeps the placeholder tiles (as .svg) through export and reopening.
    const zip = await exportProjectZip(store.getState());
    const other = createStudioStore();
    const seen: { ext: string; text: string }[] = [];
    const opened = importProjectZip(other.getState(), zip, 'p.zip', (t) => { seen.push({ ext: t.ext, text: new TextDecoder().decode(t.bytes) }); return `blob:${seen.length}`; });
    expect(opened.ok).toBe(true);
    expect(seen.length).toBe(60);
    expect(seen[0].ext).toBe('svg');
    expect(thumbMime(seen[0].ext)).toBe('image/svg+xml');
    expect(seen[0].text).toMatch(/<svg [^>]*>.*apple\/img0\.png<\/text><\/svg>/);
    expect(other.getState().dataset?.thumbs?.[59]).toBe('blob:60');
  }, 60_000);

  it('without concept text embeddings, the chosen model embeds the concept names (and refuses without one)', async () => {
    const p = await previewEmbeddingFiles(files(30, { withText: false }), [...KNOWN, { id: 'eight', label: 'Eight-D model', dim: 8 }]);
    expect(p.models.map((m) => m.id)).toEqual(['eight']);
    expect(p.problems).toEqual([]);
    await expect(buildFromEmbeddingImport(p.imp!, { name: 'x', modelId: null, teacher: 'labels', corpus: null })).rejects.toThrow(/the concepts need text embeddings: choose the model/);
    const seen: string[][] = [];
    const embedder: BuildEmbedder = {
      async describe() { return { imageModel: null, description: 'stand-in' }; },
      async embedTexts(ts) {
        seen.push(ts);
        const out = new Float32Array(ts.length * 8);
        ts.forEach((t, i) => { const j = CONCEPTS.indexOf(t); out[i * 8 + (j >= 0 ? j : 7)] = 1; });
        return out;
      },
      async embedFiles() { throw new Error('no images here'); },
    };
    const r = await buildFromEmbeddingImport(p.imp!, { name: 'x', modelId: 'eight', teacher: 'labels', corpus: null, embedder, training: TRAINING });
    expect(seen[0]).toEqual(CONCEPTS);
    expect(r.dataset.N).toBe(30);
  }, 60_000);

  it('refusals reach the preview as problems (nothing is built)', async () => {
    const f = files(10, { withText: true });
    f[1] = { name: 'emb.ids.txt', bytes: enc('a\nb\n') };
    const p = await previewEmbeddingFiles(f, KNOWN);
    expect(p.imp).toBe(null);
    expect(p.problems).toEqual(['ids emb.ids.txt lists 2 ids but emb.npy has 10 rows']);
    const one = files(6, { withText: true }).map((x) => (x.name === 'emb.ids.txt' ? { ...x, bytes: enc(Array.from({ length: 6 }, (_, i) => `ok/${i}.png\n`).join('')) } : x));
    expect((await previewEmbeddingFiles(one, KNOWN)).problems.join()).toMatch(/No classes: the ids are not in class folders and no labels were given/);
  });
});

describe('model for the concept names', () => {
  it('the model a .meta.json names (registry id or model folder path), else the ones of size D', () => {
    expect(modelsFor(16, '/home/me/models/tiny-clip', KNOWN).models.map((m) => m.id)).toEqual(['tiny-clip']);
    expect(modelsFor(512, 'Xenova/clip-vit-base-patch16', KNOWN).models.map((m) => m.id)).toEqual(['Xenova/clip-vit-base-patch16']);
    expect(modelsFor(768, 'Xenova/clip-vit-base-patch16', KNOWN).note).toMatch(/name CLIP ViT-B\/16 \(OpenAI\), but it gives 512-dimensional embeddings and these have 768/);
    const many = modelsFor(512, null, KNOWN);
    expect(many.models.map((m) => m.id)).toEqual(['Xenova/clip-vit-base-patch32', 'Xenova/clip-vit-base-patch16']);
    expect(many.note).toMatch(/2 models give 512-dimensional embeddings: choose the one that made them/);
    expect(modelsFor(16, null, KNOWN).models).toEqual([]); // test fixtures are not offered
    expect(modelsFor(768, 'ViT-L/14', KNOWN).note).toMatch(/name the model "ViT-L\/14", which this studio does not know\. No model this studio knows gives 768/);
  });

  it('placeholder thumbnails carry the file name as escaped text, safe inside CSS url()', () => {
    const t = placeholderThumb('a/<b>x(1)&"\'.png');
    expect(t.startsWith('data:image/svg+xml,')).toBe(true);
    expect(t).not.toMatch(/[()'"<>\s]/);
    const svg = decodeURIComponent(t.slice('data:image/svg+xml,'.length));
    expect(svg).toContain('&#60;b&#62;x(1)&#38;&#34;&#39;.png');
    expect(svg).not.toContain('<b>');
  });
});

describe('command line → studio, with the real tiny CLIP (embed API in-process)', () => {
  it('concept-studio embed output without concept embeddings: the named model embeds the concept names exactly as concept-studio concepts does', async () => {
    const { mkdtempSync, mkdirSync, cpSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { runCli } = await import('../../tests/support/runCli.ts');
    const { createEmbedApi } = await import('../workers/embedApi.ts');
    const { decodeImage, encodeJpeg, thumbnail } = await import('../data/images/index.ts');
    const { cacheKey, memoryEmbeddingCache, sha256Hex } = await import('../data/cache/index.ts');
    const { parseNpy } = await import('../core/io/npy.ts');
    const { unloadAll } = await import('../ml/clip.ts');
    const dir = mkdtempSync(join(tmpdir(), 'emb-build-'));
    try {
      const FIX = join(import.meta.dirname, '../../tests/fixtures/images');
      const MODELS_DIR = join(import.meta.dirname, '../../models/');
      for (const c of ['car', 'dog']) mkdirSync(join(dir, 'imgs', c), { recursive: true });
      ['rgb_odd.png', 'gray.png', 'exif6.jpg'].forEach((n) => cpSync(join(FIX, n), join(dir, 'imgs/car', n)));
      ['big.png', 'rgba.png', 'photo420.jpg'].forEach((n) => cpSync(join(FIX, n), join(dir, 'imgs/dog', n)));
      // Words the tiny CLIP's vocabulary knows (anything else is one unknown token).
      const names = ['red', 'green', 'blue', 'striped', 'furry', 'shiny', 'wooden', 'metal'];
      writeFileSync(join(dir, 'concepts.txt'), names.join('\n'));
      expect((await runCli('embed', join(dir, 'imgs'), '--model', join(MODELS_DIR, 'tiny-clip'), '--out', join(dir, 'emb.npy'))).code).toBe(0);
      expect((await runCli('concepts', '--model', join(MODELS_DIR, 'tiny-clip'), '--concepts', join(dir, 'concepts.txt'), '--out', join(dir, 'cli-cemb.npy'))).code).toBe(0);

      // The user picks emb.npy, its ids and meta, and the concept list only.
      const pick = ['emb.npy', 'emb.ids.txt', 'emb.meta.json', 'concepts.txt'].map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(join(dir, n))) }));
      const p = await previewEmbeddingFiles(pick, KNOWN);
      expect(p.problems).toEqual([]);
      expect(p.models.map((m) => m.id)).toEqual(['tiny-clip']);
      expect(p.modelNote).toMatch(/Made with Tiny CLIP test fixture \(named in the files\)/);
      expect(p.imp!.concepts?.text).toBe(null);

      const api = createEmbedApi({ decode: (b, n) => decodeImage(b, n), hash: sha256Hex, openCache: async () => memoryEmbeddingCache(), cacheKey, thumbnail: (img, side) => encodeJpeg(thumbnail(img, side)) });
      const load = () => api.load({ model: 'tiny-clip', localModelPath: MODELS_DIR });
      const embedder: BuildEmbedder = {
        async describe() { const m = await load(); return { imageModel: null, description: `${m.id} (${m.device})` }; },
        embedTexts: async (t, tpl) => { await load(); return api.embedTexts(t, tpl); },
        async embedFiles() { throw new Error('the images are not needed'); },
      };
      const r = await buildFromEmbeddingImport(p.imp!, { name: 'cli', modelId: 'tiny-clip', teacher: 'zero-shot', corpus: null, embedder, training: TRAINING });
      expect(r.dataset.N).toBe(6);
      expect(r.dataset.classes).toEqual(['car', 'dog']);
      expect(r.dataset.teacherDescription).toMatch(/zero-shot/);
      // Each kept concept's activations are the CLI's: max(0, cos(image, concept)) with concept-studio concepts' embedding.
      const cli = parseNpy(new Uint8Array(readFileSync(join(dir, 'cli-cemb.npy'))));
      const emb = parseNpy(new Uint8Array(readFileSync(join(dir, 'emb.npy'))));
      const D = cli.shape[1];
      r.dataset.concepts.forEach((c, jj) => {
        const j = names.indexOf(c);
        for (let i = 0; i < 6; i++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += emb.data[i * D + d] * cli.data[j * D + d];
          expect(r.dataset.raw.data[i * r.dataset.M + jj]).toBeCloseTo(Math.max(0, dot), 4);
        }
      });
      expect(r.dataset.M).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      unloadAll();
    }
  }, 120_000);
});
