/**
 * The embed worker in a real Chromium (Vite dev server, Debian chromium via playwright-core):
 * the same images and texts through the worker on WASM and on WebGPU (SwiftShader) must match
 * Node (onnxruntime-node) within float tolerance; a repeat is served from IndexedDB without a
 * model call; a cancelled run resumes from the cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadClip, unloadAll } from '../../src/ml/clip.ts';
import { decodeImage } from '../../src/data/images/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'];
const IMAGES = ['rgb_odd.png', 'gray16.png', 'palette_trns.png', 'rgba.png', 'exif6.jpg', 'anim.gif', 'rgb24.bmp', 'big.png'];
const TEXTS = ['dog', 'red car', 'striped fur'];
const TEMPLATES = ['a photo of {}', 'a close-up of {concept}'];

type EmbedTest = {
  open(name: string, device: string, model?: string): Promise<{ device: string; dtype: string; reason: string; dim: number }>;
  texts(name: string, texts: string[], templates?: string[]): Promise<number[]>;
  images(name: string, names: string[], opts: object, salt?: number): Promise<{ ids: string[]; embeddings: number[]; cached: number; computed: number; errors: { id: string }[] }>;
  cancelAfter(name: string, names: string[], salt: number, stopAfter: number): Promise<{ outcome: string; done: number }>;
  stats(name: string): Promise<{ imagesEmbedded: number }>;
  adapter(): Promise<{ features: string[] } | null>;
};
declare const embedTest: EmbedTest;

let server: ViteDevServer;
let browser: Browser;
let page: Page;
let node: { texts: Float32Array; images: Float32Array };
/** Requests the page made to anything but the local dev server (must stay empty: offline). */
const offsite: string[] = [];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!existsSync(CHROMIUM))('embed worker in Chromium', () => {
  beforeAll(async () => {
    const model = await loadClip({ model: 'tiny-clip', localModelPath: join(ROOT, 'models/') });
    const imgs = await Promise.all(IMAGES.map((n) => decodeImage(new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/images', n))), n)));
    node = { texts: await model.embedTexts(TEXTS, TEMPLATES), images: await model.embedImages(imgs, { grid: 2 }) };
    server = await createServer({
      root: ROOT,
      configFile: join(ROOT, 'vite.config.ts'),
      logLevel: 'error',
      clearScreen: false,
      // Scan the test page and the worker up front, so no dependency is discovered (and the
      // page reloaded) in the middle of a test.
      optimizeDeps: { entries: ['tests/e2e/embed/index.html', 'src/workers/embed.worker.ts'] },
      server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    });
    await server.listen();
    const url = server.resolvedUrls!.local[0];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    const context = await browser.newContext();
    // Offline: anything not on the local server is refused and recorded.
    await context.route((u) => u.hostname !== '127.0.0.1', (route) => {
      offsite.push(route.request().url());
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(`${url}tests/e2e/embed/index.html`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 60_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await unloadAll();
  });

  it('WASM worker matches Node for texts (template ensemble) and images with regions', async () => {
    const status = await page.evaluate(() => embedTest.open('wasm', 'wasm'));
    // The JPEG decoder's and the resize's WebAssembly SIMD builds compiled in the worker (the CSP allows it).
    expect(status).toMatchObject({ device: 'wasm', dtype: 'q8', dim: 16, cpuKernels: { jpeg: 'wasm-simd', resize: 'wasm-simd' } });
    const texts = await page.evaluate(([t, tpl]) => embedTest.texts('wasm', t, tpl), [TEXTS, TEMPLATES] as const);
    expect(maxAbsDiff(texts, node.texts)).toBeLessThan(1e-5);
    const r = await page.evaluate((names) => embedTest.images('wasm', names, { grid: 2, useCache: false }), IMAGES);
    expect(r.ids).toEqual(IMAGES);
    expect(maxAbsDiff(r.embeddings, node.images)).toBeLessThan(1e-5);
  }, 120_000);

  // SwiftShader's WebGPU has been seen to drop its instance on loaded CI machines: one retry.
  it('WebGPU (SwiftShader) worker matches Node', { timeout: 120_000, retry: 1 }, async () => {
    const adapter = await page.evaluate(() => embedTest.adapter());
    expect(adapter, 'headless Chromium with --enable-unsafe-webgpu should offer SwiftShader').not.toBeNull();
    const status = await page.evaluate(() => embedTest.open('gpu', 'webgpu'));
    expect(status.device).toBe('webgpu');
    // fp32 either way: SwiftShader lacks shader-f16, and tiny-clip ships no fp16 files anyway.
    expect(status.dtype).toBe('fp32');
    const texts = await page.evaluate(([t, tpl]) => embedTest.texts('gpu', t, tpl), [TEXTS, TEMPLATES] as const);
    expect(maxAbsDiff(texts, node.texts)).toBeLessThan(1e-4);
    const r = await page.evaluate((names) => embedTest.images('gpu', names, { grid: 2, useCache: false }), IMAGES);
    expect(maxAbsDiff(r.embeddings, node.images)).toBeLessThan(1e-4);
  });

  it('a repeat is served from IndexedDB without a model call, even from a new worker', async () => {
    await page.evaluate(() => embedTest.open('cache', 'wasm'));
    const first = await page.evaluate((names) => embedTest.images('cache', names, { grid: 2 }, 7), IMAGES);
    expect(first.computed).toBe(IMAGES.length);
    await page.evaluate(() => embedTest.open('cache', 'wasm')); // fresh worker, same IndexedDB
    const again = await page.evaluate((names) => embedTest.images('cache', names, { grid: 2 }, 7), IMAGES);
    expect([again.cached, again.computed]).toEqual([IMAGES.length, 0]);
    expect((await page.evaluate(() => embedTest.stats('cache'))).imagesEmbedded).toBe(0);
    expect(maxAbsDiff(again.embeddings, first.embeddings)).toBe(0);
  }, 120_000);

  it.skipIf(!existsSync(join(ROOT, 'models/demo-clip/onnx/vision_model.onnx')))('the bundled demo-clip loads offline in the worker (self-check on) and embeds demo images like Node', async () => {
    const demo = ['/demo/images/distill-0000.jpg', '/demo/images/distill-0001.jpg'];
    const model = await loadClip({ model: 'demo-clip', localModelPath: join(ROOT, 'models/') });
    const imgs = await Promise.all(demo.map((f) => decodeImage(new Uint8Array(readFileSync(join(ROOT, 'public', f))), f)));
    const want = await model.embedImages(imgs);
    const status = await page.evaluate(() => embedTest.open('demo', 'wasm', 'demo-clip'));
    expect(status).toMatchObject({ device: 'wasm', dim: model.dim });
    const r = await page.evaluate((names) => embedTest.images('demo', names, { useCache: false }), demo);
    expect(r.ids).toEqual(demo);
    // q8 on WASM: demo-clip's *_quantized files are fp32 copies, so this matches Node's fp32.
    expect(maxAbsDiff(r.embeddings, want)).toBeLessThan(1e-4);
    expect(offsite).toEqual([]);
  }, 120_000);

  it('a cancelled run resumes: finished images come from the cache', async () => {
    const names = Array.from({ length: 24 }, () => 'big.png');
    await page.evaluate(() => embedTest.open('resume', 'wasm'));
    const cut = await page.evaluate((n) => embedTest.cancelAfter('resume', n, 11, 4), names);
    expect(cut.outcome).toBe('CancelledError');
    expect(cut.done).toBeGreaterThanOrEqual(4);
    expect(cut.done).toBeLessThan(names.length);
    // The client restarts a worker (model reload) on the next call.
    const rest = await page.evaluate((n) => embedTest.images('resume', n, { batchSize: 1 }, 11), names);
    expect(rest.cached).toBeGreaterThanOrEqual(cut.done);
    expect(rest.cached + rest.computed).toBe(names.length);
    expect((await page.evaluate(() => embedTest.stats('resume'))).imagesEmbedded).toBe(rest.computed);
  }, 120_000);
});
