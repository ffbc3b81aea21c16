import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, mkdtempSync, cpSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadClip, unloadAll, fillTemplate, normaliseRows, ClipLoadError, type ClipModel } from './clip.ts';
import { checkEmbeddings, ClipSelfCheckError } from './selfCheck.ts';
import { chooseDevice, availableDtype } from './device.ts';
import { modelInfo, MODELS } from './models.ts';
import { parseNpy } from '../core/io/npy.ts';
import { decodeImage } from '../data/images/index.ts';
import { resizeAndCrop, toPixelValues, regionImages, preprocessBatch } from './preprocess.ts';

const MODELS_DIR = join(import.meta.dirname, '../../models/');
const IMAGES = join(import.meta.dirname, '../../tests/fixtures/images');
const tiny = () => loadClip({ model: 'tiny-clip', localModelPath: MODELS_DIR });
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
const rows = (x: Float32Array, d: number) => Array.from({ length: x.length / d }, (_, i) => x.subarray(i * d, (i + 1) * d));

afterAll(() => unloadAll());

describe('CLIP towers on the tiny fixture (onnxruntime-node)', () => {
  it('loads once for concurrent callers and reports device, dtype and reason', async () => {
    const [a, b] = await Promise.all([tiny(), tiny()]);
    expect(a).toBe(b);
    expect([a.device, a.dtype, a.dim]).toEqual(['cpu', 'fp32', 16]);
    expect(a.reason).toMatch(/CPU/);
    expect(a.preprocess.shortestEdge).toBe(16);
  });

  it('text embeddings are unit-norm and respond to words', async () => {
    const m = await tiny();
    const e = rows(await m.embedTexts(['dog', 'cat', 'red car']), m.dim);
    for (const r of e) expect(Math.hypot(...r)).toBeCloseTo(1, 5);
    expect(cosine(e[0], e[1])).toBeLessThan(0.999);
  });

  it('a template ensemble is the renormalised mean of the per-template embeddings', async () => {
    const m = await tiny();
    const t1 = await m.embedTexts(['dog'], ['a photo of {}']);
    const t2 = await m.embedTexts(['dog'], ['a picture of the {concept}']);
    const both = await m.embedTexts(['dog'], ['a photo of {}', 'a picture of the {concept}']);
    const mean = normaliseRows(t1.map((x, i) => x + t2[i]), m.dim);
    for (let i = 0; i < m.dim; i++) expect(both[i]).toBeCloseTo(mean[i], 6);
  });

  it('image embeddings: unit norm, different images differ, regions give N×R×D', async () => {
    const m = await tiny();
    const load = async (n: string) => decodeImage(new Uint8Array(readFileSync(join(IMAGES, n))), n);
    const imgs = [await load('rgb_odd.png'), await load('big.png')];
    const e = await m.embedImages(imgs, { grid: 2 });
    expect(e.length).toBe(2 * 5 * 16);
    const r = rows(e, 16);
    for (const v of r) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(cosine(r[0], r[5])).toBeLessThan(0.99);
    // Region 0 is the full image, identical to embedding it alone.
    const alone = await m.embedImages([imgs[1]]);
    for (let i = 0; i < 16; i++) expect(r[5][i]).toBeCloseTo(alone[i], 6);
    // And a grid crop equals embedding that crop as an image of its own.
    const crop = await m.embedImages([regionImages(imgs[1], 2)[3]]);
    for (let i = 0; i < 16; i++) expect(r[8][i]).toBeCloseTo(crop[i], 6);
  });

  it('embeddings from our preprocessing match the PIL reference pixel_values (cosine)', async () => {
    const m = await tiny();
    const index = JSON.parse(readFileSync(join(IMAGES, 'ref/index.json'), 'utf8')).images as { name: string }[];
    const ref = parseNpy(new Uint8Array(readFileSync(join(IMAGES, 'ref/pixel_values_16.npy'))));
    const refEmb = await m.embedPixels(Float32Array.from(ref.data), ref.shape);
    let worst = 1;
    for (const [k, e] of index.entries()) {
      if (e.name.endsWith('.webp')) continue; // needs the platform decoder (covered in preprocess.test.ts)
      const img = await decodeImage(new Uint8Array(readFileSync(join(IMAGES, e.name))), e.name);
      const ours = await m.embedPixels(toPixelValues(resizeAndCrop(img, m.preprocess), m.preprocess), [1, 3, 16, 16]);
      worst = Math.min(worst, cosine(ours, refEmb.subarray(k * 16, (k + 1) * 16)));
    }
    expect(worst).toBeGreaterThanOrEqual(0.99);
  });

  it('embedPixels and embedImages agree', async () => {
    const m = await tiny();
    const img = await decodeImage(new Uint8Array(readFileSync(join(IMAGES, 'gray.png'))), 'gray.png');
    const { data, dims } = preprocessBatch([img], m.preprocess);
    expect(Array.from(await m.embedPixels(data, dims))).toEqual(Array.from(await m.embedImages([img])));
  });

  it('reports loading progress per file', async () => {
    const seen: { status: string; file?: string }[] = [];
    const m = await loadClip({ model: 'tiny-clip', localModelPath: MODELS_DIR, dtype: 'q8', onProgress: (p) => seen.push(p) });
    expect(m.dtype).toBe('q8');
    const files = new Set(seen.filter((p) => p.status === 'done').map((p) => p.file));
    for (const f of ['tokenizer.json', 'preprocessor_config.json', 'onnx/text_model_quantized.onnx', 'onnx/vision_model_quantized.onnx']) expect(files).toContain(f);
    await m.dispose();
  });

  it('a missing model is a clear offline error, and a later retry is not poisoned', async () => {
    const err = await loadClip({ model: 'no-such-model', localModelPath: MODELS_DIR, selfCheck: false }).catch((e) => e);
    expect(err).toBeInstanceOf(ClipLoadError);
    expect(err.message).toMatch(/Could not load model "no-such-model".*downloads are off/s);
  });
});

describe('self-check', () => {
  const unit = (v: number[]) => normaliseRows(Float32Array.from(v), v.length);
  const img = unit([0, 0, 1]);
  it('accepts sane embeddings', () => {
    expect(checkEmbeddings(Float32Array.from([...unit([1, 0.2, 0]), ...unit([0.8, 0.5, 0.1])]), img, 3)).toBeNull();
  });
  it('names NaN, zero, identical and mismatched embeddings', () => {
    expect(checkEmbeddings(Float32Array.from([NaN, 0, 0, 1, 0, 0]), img, 3)).toMatch(/text "a photo of a dog" contains NaN/);
    expect(checkEmbeddings(Float32Array.from([0, 0, 0, 1, 0, 0]), img, 3)).toMatch(/all zeros/);
    expect(checkEmbeddings(Float32Array.from([1, 0, 0, 1, 0, 0]), img, 3)).toMatch(/same embedding: is the tokenizer right/);
    expect(checkEmbeddings(Float32Array.from([1, 0, 0, 0, 1, 0]), unit([1, 1]), 3)).toMatch(/image embedding has 2 values/);
  });
  it('a model with a broken tokenizer is refused with a clear message', async () => {
    // Copy the fixture and empty its vocabulary: every word becomes [UNK], so the two prompts
    // embed identically — the failure a wrong tokenizer.json causes in real life.
    const dir = mkdtempSync(join(tmpdir(), 'clip-broken-'));
    cpSync(join(MODELS_DIR, 'tiny-clip'), join(dir, 'broken-clip'), { recursive: true });
    const tokPath = join(dir, 'broken-clip/tokenizer.json');
    const tok = JSON.parse(readFileSync(tokPath, 'utf8'));
    tok.model.vocab = Object.fromEntries(Object.entries(tok.model.vocab).filter(([, id]) => (id as number) < 4));
    writeFileSync(tokPath, JSON.stringify(tok));
    const err = await loadClip({ model: 'broken-clip', localModelPath: dir + '/' })
      .catch((e) => e)
      .finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(err).toBeInstanceOf(ClipSelfCheckError);
    expect(err.message).toMatch(/^Model "broken-clip" \(cpu\/fp32\) failed its self-check: the two test prompts have cosine 1\.0+, outside the sane range .* is the tokenizer right\?/);
  });
});

describe('device choice', () => {
  const browser = (adapter: { features: Set<string> } | null | 'none') => ({
    isNode: false,
    requestAdapter: adapter === 'none' ? null : async () => adapter,
  });
  it('follows the rules', async () => {
    expect(await chooseDevice({}, browser({ features: new Set(['shader-f16']) }))).toMatchObject({ device: 'webgpu', dtype: 'fp16' });
    expect(await chooseDevice({}, browser({ features: new Set() }))).toMatchObject({ device: 'webgpu', dtype: 'fp32' });
    expect(await chooseDevice({}, browser(null))).toMatchObject({ device: 'wasm', dtype: 'q8' });
    expect(await chooseDevice({}, browser('none'))).toMatchObject({ device: 'wasm', dtype: 'q8' });
    const q8gpu = await chooseDevice({ dtype: 'q8' }, browser({ features: new Set() }));
    expect(q8gpu).toMatchObject({ device: 'webgpu', dtype: 'fp32' });
    expect(q8gpu.reason).toMatch(/quantised weights are not used on WebGPU/);
    expect(await chooseDevice({ device: 'wasm', dtype: 'fp32' }, browser({ features: new Set() }))).toMatchObject({ device: 'wasm', dtype: 'fp32' });
    expect((await chooseDevice({ device: 'webgpu' }, browser(null))).reason).toMatch(/WebGPU was requested but .*no adapter.*using WASM/);
    expect(await chooseDevice({}, { isNode: true, requestAdapter: null })).toMatchObject({ device: 'cpu', dtype: 'fp32' });
  });
  it('falls back to a dtype the model has', () => {
    const c = availableDtype({ device: 'webgpu', dtype: 'fp16', reason: 'x' }, modelInfo('tiny-clip').dtypes);
    expect(c.dtype).toBe('fp32');
    expect(c.reason).toMatch(/no fp16 files/);
  });
  it('registry lists the hub models with sizes', () => {
    for (const id of ['Xenova/clip-vit-base-patch32', 'Xenova/clip-vit-base-patch16', 'Xenova/mobileclip_s0']) {
      const m = MODELS.find((x) => x.id === id)!;
      expect(m.dim).toBe(512);
      expect(m.downloadMB.q8! < m.downloadMB.fp16! && m.downloadMB.fp16! < m.downloadMB.fp32!).toBe(true);
    }
    expect(fillTemplate('a photo of {}', 'rust')).toBe('a photo of rust');
    expect(fillTemplate('rusty', 'metal')).toBe('rusty metal');
  });
});
