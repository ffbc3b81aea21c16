/**
 * `npm run bench:embed`: vision-tower throughput of a ViT-B/32-shaped CLIP image tower (random
 * weights, generated here into a temp folder, never committed) through the studio's own code:
 * Node (src/ml on onnxruntime-node) and Chromium (the embed worker on onnxruntime-web: WASM
 * with 1 and 2 threads under cross-origin isolation, and WebGPU when the adapter is a real GPU).
 * Prints images/s at batch 1 and 8 and the browser/native ratio.
 *
 * Options: --quick (fewer iterations), --no-browser, --swiftshader (also time WebGPU on
 * Chromium's CPU fallback adapter: about 40 s per image, so one image only).
 */
import { existsSync, mkdirSync, createReadStream, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type Plugin } from 'vite';
import { chromium } from 'playwright-core';
import { loadClip, unloadAll } from '../../src/ml/clip.ts';
import { writeBenchModel } from './embedVitModel.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'];
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const MODEL_ID = 'bench-vit-b32';

interface Row {
  runtime: string;
  threads: string;
  b1: number | null;
  b8: number | null;
}

function pixels(batch: number): Float32Array {
  const p = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < p.length; i++) p[i] = Math.sin(i * 0.001) * 1.5;
  return p;
}

/** images/s over `iters` timed calls after one warm-up call. */
async function time(run: (batch: number) => Promise<unknown>, batch: number, iters: number): Promise<number> {
  await run(batch);
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await run(batch);
  return (batch * iters) / ((performance.now() - t0) / 1000);
}

async function benchNode(dir: string, dtype: 'fp32' | 'q8'): Promise<Row> {
  const m = await loadClip({ model: MODEL_ID, localModelPath: join(dir, '..') + '/', device: 'cpu', dtype, selfCheck: false });
  const run = (b: number) => m.embedPixels(pixels(b), [b, 3, 224, 224]);
  const b1 = await time(run, 1, QUICK ? 3 : 10);
  const b8 = await time(run, 8, QUICK ? 1 : 3);
  await unloadAll();
  return { runtime: `Node, onnxruntime-node CPU ${dtype}`, threads: 'default', b1, b8 };
}

/** Serves the temp model folder at /bench-models/ (the repo's /models/ route 404s anything else). */
function serveBenchModels(dir: string): Plugin {
  return {
    name: 'bench-models',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        if (!url.startsWith('/bench-models/')) return next();
        const file = join(dir, '..', decodeURIComponent(url.slice('/bench-models/'.length)));
        if (!file.startsWith(join(dir, '..')) || !existsSync(file) || !statSync(file).isFile()) {
          res.statusCode = 404;
          return res.end('not found');
        }
        res.setHeader('Content-Length', String(statSync(file).size));
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        createReadStream(file).pipe(res);
      });
    },
  };
}

async function benchBrowser(dir: string): Promise<Row[]> {
  const server = await createServer({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'error',
    plugins: [serveBenchModels(dir)],
    optimizeDeps: { entries: ['tools/bench/embed-page/index.html', 'src/workers/embed.worker.ts'] },
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
  });
  await server.listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const rows: Row[] = [];
  try {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(`${server.resolvedUrls!.local[0]}tools/bench/embed-page/index.html`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 60_000 });
    const env = await page.evaluate(() => (window as unknown as { bench: { env(): Promise<{ isolated: boolean; adapter: { fallback: boolean; f16: boolean } | null }> } }).bench.env());
    console.error(`chromium: crossOriginIsolated=${env.isolated}, WebGPU adapter: ${env.adapter ? (env.adapter.fallback ? 'CPU fallback (SwiftShader)' : 'GPU') : 'none'}`);
    const configs: { device: string; dtype: string; threads: number; b1: number; b8: number }[] = [];
    for (const dtype of ['fp32', 'q8']) for (const threads of [1, 2]) configs.push({ device: 'wasm', dtype, threads, b1: QUICK ? 1 : 3, b8: 1 });
    if (env.adapter && !env.adapter.fallback) configs.push({ device: 'webgpu', dtype: 'fp32', threads: 0, b1: 10, b8: 3 });
    else if (env.adapter && args.has('--swiftshader')) configs.push({ device: 'webgpu', dtype: 'fp32', threads: 0, b1: 1, b8: 0 });
    for (const c of configs) {
      const r = await page.evaluate(
        ([id, cfg]) => (window as unknown as { bench: { run(id: string, c: object): Promise<{ b1: number; b8: number | null; dtype: string }> } }).bench.run(id, cfg),
        [MODEL_ID, c] as const,
      );
      rows.push({ runtime: `Chromium, ${c.device === 'wasm' ? 'WASM' : `WebGPU${env.adapter?.fallback ? ' (SwiftShader)' : ''}`} ${r.dtype}`, threads: c.device === 'wasm' ? String(c.threads) : '-', b1: r.b1, b8: r.b8 });
      console.error(`  ${rows.at(-1)!.runtime} threads=${rows.at(-1)!.threads}: b1 ${r.b1.toFixed(2)} img/s, b8 ${r.b8?.toFixed(2) ?? '-'} img/s`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return rows;
}

async function main() {
  const dir = join(tmpdir(), 'concept-studio-bench', MODEL_ID);
  if (!existsSync(join(dir, 'onnx/vision_model_quantized.onnx'))) {
    console.error(`generating a random-weight ViT-B/32 image tower in ${dir} …`);
    mkdirSync(dir, { recursive: true });
    writeBenchModel(dir, join(ROOT, 'models/tiny-clip'));
  }
  const rows: Row[] = [];
  for (const dtype of ['fp32', 'q8'] as const) {
    rows.push(await benchNode(dir, dtype));
    console.error(`  ${rows.at(-1)!.runtime}: b1 ${rows.at(-1)!.b1!.toFixed(2)} img/s, b8 ${rows.at(-1)!.b8!.toFixed(2)} img/s`);
  }
  if (!args.has('--no-browser')) {
    if (existsSync(CHROMIUM)) rows.push(...(await benchBrowser(dir)));
    else console.error(`no Chromium at ${CHROMIUM}: browser figures skipped`);
  }
  // Each browser row is compared with native at the same dtype.
  const nativeOf = (r: Row) => rows.find((n) => n.runtime.startsWith('Node') && r.runtime.endsWith(n.runtime.split(' ').at(-1)!)) ?? rows[0];
  const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(2));
  const ratio = (v: number | null, n: number | null) => (v === null || !n ? '-' : `${(v / n).toFixed(2)}×`);
  console.log('\nViT-B/32 image tower (random weights), images per second; ratios against native at the same dtype');
  console.log('runtime                                  threads  batch 1  batch 8  vs native b1  vs native b8');
  for (const r of rows) {
    const native = nativeOf(r);
    console.log(`${r.runtime.padEnd(40)} ${r.threads.padStart(7)} ${fmt(r.b1).padStart(8)} ${fmt(r.b8).padStart(8)} ${ratio(r.b1, native.b1).padStart(13)} ${ratio(r.b8, native.b8).padStart(13)}`);
  }
}

await main();
