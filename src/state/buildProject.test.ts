// @vitest-environment node
// A project from the user's own images: with a stand-in embedder (controlled geometry, so the
// student's quality can be asserted) and with the real tiny CLIP fixture through the embed
// worker's own API in-process (decode → cache → model), as the studio runs it.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProjectFromEmbeddings, buildProjectFromImages, classesFor, type BuildEmbedder, type ImageFileRef } from './buildProject.ts';
import { createEmbedApi } from '../workers/embedApi.ts';
import { decodeImage, encodeJpeg, thumbnail } from '../data/images/index.ts';
import { cacheKey, memoryEmbeddingCache, sha256Hex } from '../data/cache/index.ts';
import { unloadAll } from '../ml/clip.ts';
import { mulberry32, randNormal } from '../core/math/rng.ts';
import { createStudioStore } from './store.ts';
import { applyBlocker } from './applyFolder.ts';
import { CancelledError } from '../core/types.ts';
import { parseCorpus } from './demoProject.ts';

const MODELS_DIR = join(import.meta.dirname, '../../models/');
const IMAGES = join(import.meta.dirname, '../../tests/fixtures/images');
const GENERAL = { name: 'general.txt', concepts: parseCorpus(readFileSync(join(import.meta.dirname, '../../public/corpora/general.txt'), 'utf8')) };
const TRAINING = { lambda: 1e-4, members: 3, seed: 0, heldOutFraction: 0.25 };
const MODEL = { id: 'stand-in', embeddingDim: 8, preprocessing: { size: 8, crop: 'center' as const, mean: [0, 0, 0], std: [1, 1, 1], resample: 'bicubic' as const, padToSquare: false } };

afterAll(() => unloadAll());

/**
 * A stand-in model in 8 dimensions: the text "red"/"blue"/"round"… is an axis; an image's
 * bytes say which class it shows (byte 0) and it points along that class's concept axis plus
 * seeded noise, so a student over the concepts can recover the classes.
 */
function standIn(): BuildEmbedder & { texts: string[][] } {
  const axis: Record<string, number> = { red: 0, blue: 1, green: 2, round: 3, square: 4, metal: 5, wood: 6, glass: 7 };
  const vec = (k: number, D = 8) => { const v = new Float32Array(D); v[k] = 1; return v; };
  const texts: string[][] = [];
  return {
    texts,
    async describe() { return { imageModel: MODEL, description: 'stand-in model' }; },
    async embedTexts(ts) {
      texts.push(ts);
      const out = new Float32Array(ts.length * 8);
      ts.forEach((t, i) => {
        const word = Object.keys(axis).find((w) => t.includes(w));
        // Unknown words get a fixed mixed direction (like an unknown token).
        out.set(word ? vec(axis[word]) : Float32Array.from({ length: 8 }, (_, d) => ((i * 7 + d * 3) % 5) / 5 + 0.1), i * 8);
      });
      return out;
    },
    async embedFiles(files) {
      const ok = files.filter((f) => f.bytes[0] !== 0xff);
      const rng = mulberry32(ok.length);
      const data = new Float32Array(ok.length * 8);
      ok.forEach((f, i) => {
        for (let d = 0; d < 8; d++) data[i * 8 + d] = 0.3 * randNormal(rng) + (d === f.bytes[0] ? 2 : 0) + 0.5;
      });
      return { ids: ok.map((f) => f.id), embeddings: data, R: 1, D: 8, errors: files.filter((f) => f.bytes[0] === 0xff).map((f) => ({ id: f.id, message: `${f.id}: not a supported image` })), cached: 0 };
    },
  };
}

const ref = (path: string, bytes: Uint8Array): ImageFileRef => ({ path, read: async () => bytes.slice() });

describe('buildProjectFromEmbeddings', () => {
  it('labels teacher: dataset, hygiene, split and a student that recovers the classes on held-out images', async () => {
    const N = 60;
    const rng = mulberry32(3);
    const labels = Int32Array.from({ length: N }, (_, i) => i % 3);
    const data = new Float32Array(N * 8);
    for (let i = 0; i < N; i++) for (let d = 0; d < 8; d++) data[i * 8 + d] = 0.3 * randNormal(rng) + (d === labels[i] ? 2 : 0) + 0.5;
    const e = standIn();
    const stages: string[] = [];
    const r = await buildProjectFromEmbeddings({
      name: 'colours', ids: Array.from({ length: N }, (_, i) => `img${i}`), names: Array.from({ length: N }, (_, i) => `img${i}.png`), thumbs: null,
      embeddings: { N, R: 1, D: 8, data }, classes: ['apple', 'sea', 'leaf'], labels,
      corpus: { name: 'test corpus', concepts: ['red', 'blue', 'green', 'round', 'Red ', 'zzz'] }, conceptText: null, modelId: null, embedder: e,
      teacher: { kind: 'labels' }, training: TRAINING, onProgress: (p) => stages.push(p.stage),
    });
    const ds = r.dataset;
    expect([ds.N, ds.C, ds.classes]).toEqual([N, 3, ['apple', 'sea', 'leaf']]);
    // "Red " folds onto "red": dropped as a duplicate, with its reason in the report.
    expect(ds.concepts).not.toContain('Red ');
    expect(ds.hygiene!.dropped.map((d) => d.name)).toContain('Red ');
    expect(ds.concepts).toEqual(expect.arrayContaining(['red', 'blue', 'green']));
    expect(ds.split.train.length + ds.split.heldOut.length).toBe(N);
    expect(r.metrics.n).toBe(ds.split.heldOut.length);
    // Separable colours: the student agrees with the labels on nearly every held-out image.
    expect(r.metrics.fidelity).toBeGreaterThan(0.9);
    expect(r.metrics.accuracy).toBeGreaterThan(0.9);
    // Self-sufficient: the model and the kept concepts' text embeddings travel with the project.
    expect(ds.imageModel).toEqual(MODEL);
    expect([ds.conceptText!.rows, ds.conceptText!.cols]).toEqual([ds.M, 8]);
    expect(ds.imageEmbeddings!.data.length).toBe(N * 8);
    expect([ds.classText!.rows, ds.classText!.cols]).toEqual([3, 8]);
    expect(e.texts[0]).toEqual(['red', 'blue', 'green', 'round', 'Red ', 'zzz']);
    expect(stages).toContain('distilling the student');
    // And the store takes it as a new project that can score new images.
    const store = createStudioStore();
    store.getState().commit({ type: 'load', dataset: ds, ensemble: r.ensemble, label: r.label });
    expect(store.getState().session!.state.conceptText).toBe(ds.conceptText);
    expect(applyBlocker(store.getState())).toMatch(/not available in this build/); // only the embedder is missing in Node
  });

  it('zero-shot teacher: softmax(100·cos) over "a photo of a {class}"', async () => {
    const N = 24;
    const labels = Int32Array.from({ length: N }, (_, i) => i % 2);
    const data = new Float32Array(N * 8);
    for (let i = 0; i < N; i++) { data[i * 8 + labels[i]] = 1; data[i * 8 + 3] = 0.2; }
    const e = standIn();
    const r = await buildProjectFromEmbeddings({
      name: 'zs', ids: Array.from({ length: N }, (_, i) => `i${i}`), names: Array.from({ length: N }, (_, i) => `i${i}`), thumbs: null,
      embeddings: { N, R: 1, D: 8, data }, classes: ['red thing', 'blue thing'], labels,
      corpus: { name: 'c', concepts: ['red', 'blue', 'round', 'metal'] }, conceptText: null, modelId: null, embedder: e,
      teacher: { kind: 'zero-shot' }, training: TRAINING,
    });
    expect(e.texts).toContainEqual(['red thing', 'blue thing']);
    // Image 0 lies along "red": cos 0.98 vs 0, so the teacher is (nearly) certain.
    const cos = 1 / Math.hypot(1, 0.2);
    expect(r.dataset.teacher.data[0]).toBeCloseTo(1 / (1 + Math.exp(-100 * cos)), 5);
    expect(Array.from(r.dataset.teacherPred)).toEqual(Array.from(labels));
    expect(r.dataset.teacherDescription).toMatch(/zero-shot/);
  });

  it('predictions file: matched by file name; missing, duplicate and unknown entries are refused by name', async () => {
    const N = 8;
    const ids = Array.from({ length: N }, (_, i) => `cls${i % 2}/p${i}.jpg`);
    const data = Float32Array.from({ length: N * 8 }, (_, q) => ((q * 7919) % 13) / 13 + (q % 8 === Math.floor(q / 8) % 2 ? 1 : 0));
    const base = {
      name: 'pf', ids, names: ids, thumbs: null, embeddings: { N, R: 1, D: 8, data }, classes: ['a', 'b'], labels: null,
      corpus: { name: 'c', concepts: ['red', 'blue', 'round'] }, conceptText: null, modelId: null, embedder: standIn(), training: TRAINING,
    };
    const csv = ['file,a,b', ...ids.map((id, i) => `${id.split('/')[1]},${i % 2 ? 0.2 : 0.9},${i % 2 ? 0.8 : 0.1}`), 'other.jpg,0.5,0.5'].join('\n');
    const r = await buildProjectFromEmbeddings({ ...base, teacher: { kind: 'file', fileName: 'preds.csv', text: csv } });
    expect(r.dataset.teacher.data[0]).toBeCloseTo(0.9, 6);
    expect(Array.from(r.dataset.teacherPred)).toEqual(ids.map((_, i) => i % 2));
    expect(r.notes.join(' ')).toMatch(/1 prediction\(s\) name no image/);
    const json = JSON.stringify(Object.fromEntries(ids.map((id, i) => [id, i % 2 ? 'b' : 'a'])));
    expect((await buildProjectFromEmbeddings({ ...base, teacher: { kind: 'file', fileName: 'p.json', text: json } })).dataset.teacher.data[1]).toBe(0);
    const bad = async (fileName: string, text: string) => buildProjectFromEmbeddings({ ...base, teacher: { kind: 'file', fileName, text } }).then(() => 'built', (e: Error) => e.message);
    expect(await bad('p.csv', csv.split('\n').slice(0, -4).join('\n'))).toMatch(/^p\.csv: no prediction for 3 of 8 images \(cls1\/p5\.jpg, cls0\/p6\.jpg, cls1\/p7\.jpg\)/);
    expect(await bad('p.csv', `${csv}\np0.jpg,1,0`)).toMatch(/^p\.csv: line 11: cls0\/p0\.jpg has a prediction already \(line 2\)/);
    expect(await bad('p.json', JSON.stringify({ ...JSON.parse(json), 'cls0/p0.jpg': 'c' }))).toMatch(/class "c" is not one of the project's classes \(a, b\)/);
    expect(await bad('p.csv', 'file,a,b\np0.jpg,0.5,0.9')).toMatch(/sum to 1\.400/);
    expect(await bad('p.json', '{oops')).toMatch(/^p\.json: not valid JSON/);
  });

  it('refuses embeddings that do not fit, and stops on cancel', async () => {
    const base = {
      name: 'x', ids: ['a', 'b'], names: ['a', 'b'], thumbs: null, embeddings: { N: 2, R: 1, D: 8, data: new Float32Array(15) }, classes: ['p', 'q'], labels: Int32Array.of(0, 1),
      corpus: { name: 'c', concepts: ['red'] }, conceptText: null, modelId: null, embedder: standIn(), teacher: { kind: 'labels' as const },
    };
    await expect(buildProjectFromEmbeddings(base)).rejects.toThrow(/hold 15 values, expected 2 images × 1 regions × 8/);
    await expect(buildProjectFromEmbeddings({ ...base, embeddings: { N: 2, R: 1, D: 8, data: new Float32Array(16).fill(1) }, conceptText: { rows: 1, cols: 4, data: new Float32Array(4) } }))
      .rejects.toThrow(/only 2 usable image\(s\)/);
    const ctrl = new AbortController();
    ctrl.abort();
    const N = 12;
    await expect(buildProjectFromEmbeddings({ ...base, ids: Array.from({ length: N }, (_, i) => `${i}`), names: Array.from({ length: N }, (_, i) => `${i}`), labels: new Int32Array(N).map((_, i) => i % 2), embeddings: { N, R: 1, D: 8, data: new Float32Array(N * 8).fill(1) }, signal: ctrl.signal }))
      .rejects.toBeInstanceOf(CancelledError);
  });
});

describe('classes from paths', () => {
  it('sub-folders are classes; the folder every file shares is not; a CSV wins', () => {
    const picked = classesFor(['pets/cat/1.jpg', 'pets/dog/2.jpg', 'pets/dog/3.jpg'], null);
    expect(picked.classes).toEqual(['cat', 'dog']);
    expect(classesFor(['pets/1.jpg', 'pets/2.jpg'], null).classes).toEqual([]);
    const csv = classesFor(['x/1.jpg', 'y/2.jpg'], { name: 'l.csv', text: 'file,label\n1.jpg,big\n2.jpg,small\n' });
    expect([csv.classes, csv.classOf.get('y/2.jpg')]).toEqual([['big', 'small'], 1]);
    expect(() => classesFor(['1.jpg'], { name: 'l.csv', text: '1.jpg,a\n1.jpg,b\n' })).toThrow(/^l\.csv: line 2: 1\.jpg is listed more than once/);
  });
});

describe('buildProjectFromImages with the tiny CLIP fixture (embed API in-process)', () => {
  /** Solid-colour JPEGs with a little noise: reds and blues are two classes. */
  function jpeg(rgb: [number, number, number], seed: number): Uint8Array {
    const rng = mulberry32(seed);
    const W = 12, H = 10;
    const data = new Uint8Array(W * H * 3);
    for (let p = 0; p < W * H; p++) for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.max(0, Math.min(255, rgb[c] + Math.round(20 * randNormal(rng))));
    return encodeJpeg({ width: W, height: H, data }, 90);
  }
  const cache = memoryEmbeddingCache();
  const api = createEmbedApi({ decode: (b, n) => decodeImage(b, n), hash: sha256Hex, openCache: async () => cache, cacheKey, thumbnail: (img, side) => encodeJpeg(thumbnail(img, side)) });
  const loadTiny = () => api.load({ model: 'tiny-clip', localModelPath: MODELS_DIR });
  const tiny: BuildEmbedder = {
    async describe() {
      const m = await api.load({ model: 'tiny-clip', localModelPath: MODELS_DIR });
      return { imageModel: { ...MODEL, id: m.id, embeddingDim: m.dim }, description: `${m.id} (${m.device} · ${m.dtype})` };
    },
    embedTexts: async (t, tpl) => { await loadTiny(); return api.embedTexts(t, tpl); },
    embedFiles: async (f, o, call) => { await loadTiny(); return api.embedFiles(f, { ...o, thumbnailSide: 32 }, (p) => call.onProgress?.(p)); },
  };
  const files = (n: number) => Array.from({ length: n }, (_, i) => (i % 2
    ? ref(`shots/blue/b${i}.jpg`, jpeg([30, 40, 200], i))
    : ref(`shots/red/r${i}.jpg`, jpeg([210, 30, 30], i))));

  it('embeds, thumbnails, reports a corrupt file by name, distils; adding images embeds only the new ones', async () => {
    const corrupt = ref('shots/red/broken.jpg', new Uint8Array(readFileSync(join(IMAGES, 'corrupt_truncated.png'))));
    const notImage = ref('shots/notes.txt', new TextEncoder().encode('hello'));
    const progress: { done: number; total: number }[] = [];
    const r = await buildProjectFromImages({
      name: 'shots', files: [...files(10), corrupt, notImage], modelId: 'tiny-clip', embedder: tiny, chunk: 4,
      corpus: GENERAL,
      teacher: { kind: 'labels' }, training: TRAINING, onProgress: (p) => progress.push(p),
    });
    const ds = r.dataset;
    expect(ds.N).toBe(10);
    expect(ds.classes).toEqual(['blue', 'red']);
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0].name).toBe('shots/red/broken.jpg');
    expect(r.skipped[0].reason).toMatch(/^(corrupt|not a supported)/);
    expect(r.notes[0]).toMatch(/1 file\(s\) that are not images/);
    expect(ds.thumbs!.every((t) => t.startsWith('data:image/jpeg;base64,/9j/'))).toBe(true);
    expect(ds.imageModel!.id).toBe('tiny-clip');
    expect(ds.conceptText!.cols).toBe(16);
    expect(progress.some((p) => p.total === 11 && p.done > 0 && p.done < 11)).toBe(true);
    expect(ds.labels).not.toBeNull();
    // Mean colour is what the tiny vision tower sees: red and blue are trivially separable.
    expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0.5);

    const before = api.stats().imagesEmbedded;
    const r2 = await buildProjectFromImages({
      name: 'shots', files: files(12), modelId: 'tiny-clip', embedder: tiny,
      corpus: GENERAL, teacher: { kind: 'zero-shot' }, training: TRAINING,
    });
    expect(r2.dataset.N).toBe(12);
    expect(api.stats().imagesEmbedded - before).toBe(2);
  }, 180_000); // 71 s seen on a machine at load 16 (normally ~10 s)
});
