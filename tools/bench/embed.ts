/**
 * `npm run bench:embed`: vision-tower throughput of a ViT-B/32-shaped CLIP image tower (random
 * weights, generated here into a temp folder, never committed) through the studio's own code:
 * Node (src/ml on onnxruntime-node) and Chromium (the embed worker on onnxruntime-web: WASM
 * with 1 and 2 threads under cross-origin isolation, and WebGPU when the adapter is a real GPU).
 * Prints images/s at batch 1 and 8 and the browser/native ratio.
 *
 * Then, in the same Chromium run, the studio's overhead (issue targets: studio ≥ 90 % of a bare
 * runtime, main thread never blocked > 50 ms): (a) a bare onnxruntime-web InferenceSession.run
 * loop on a ready pixel tensor in a worker vs (b) the studio's embed worker end to end on
 * encoded JPEG files (hash, cache, decode, resize, regions, transfers, model), same model file,
 * dtype and thread count; images/s for each, the ratio (b)/(a), and the longest main-thread task
 * during (b). The photos are generated here too (photo-like content, --size, default 800×600).
 *
 * Options: --quick (fewer iterations), --no-browser, --swiftshader (also time WebGPU on
 * Chromium's CPU fallback adapter: about 40 s per image, so one image only), --overhead (only
 * the bare-vs-studio comparison), --no-overhead, --dtype q8|fp32 (overhead; default q8, the
 * studio's WASM default), --threads N (default: the cores, at most 4), --images N per round (default 32),
 * --size WxH, --grid 1|2|3, --rounds N (a/b turns after one untimed turn each, default 4),
 * --chroma 444|420 (the photos as jpeg-js writes them, 4:4:4, or re-encoded 4:2:0 as cameras do),
 * --prep overlap|burst (the studio's image-preparation schedule; default: its own choice for the
 * cores and threads, EmbedLoadOptions.prepSchedule), --json (one JSON line).
 * Debugging: BENCH_TRACE=1 prints the page's progress/long-task log; BENCH_TRACE_FILE=/tmp/x
 * writes a Chrome trace of each (b) turn (/tmp/x.<round>.json).
 */
import { existsSync, mkdirSync, createReadStream, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createServer, type Plugin } from 'vite';
import { chromium } from 'playwright-core';
import { loadClip, unloadAll } from '../../src/ml/clip.ts';
import { writeBenchModel, writeBenchTextTower } from './embedVitModel.ts';
import { writeBenchPhotos } from './embedPhotos.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'];
const argv = process.argv.slice(2);
const args = new Set(argv);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
const OVERHEAD_ONLY = args.has('--overhead');
const OV = {
  dtype: opt('--dtype', 'q8') as 'q8' | 'fp32',
  threads: Number(opt('--threads', '0')),
  images: Number(opt('--images', QUICK ? '16' : '32')),
  size: opt('--size', '800x600').split('x').map(Number) as [number, number],
  grid: Number(opt('--grid', '1')) as 1 | 2 | 3,
  rounds: Number(opt('--rounds', QUICK ? '2' : '4')),
  /** The studio's image-preparation schedule (default: its own choice for these cores and threads). */
  prep: (opt('--prep', '') || undefined) as 'overlap' | 'burst' | undefined,
  /** Chroma layout of the photos: 4:4:4 as jpeg-js writes them, or 4:2:0 as most cameras do. */
  chroma: opt('--chroma', '444') as '444' | '420',
  batch: 8,
};
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

export interface Overhead {
  dtype: string;
  threads: number;
  batch: number;
  grid: number;
  imageSize: string;
  images: number;
  /** The studio's preparation schedule and where its IDCT and resize run (ModelStatus). */
  prepSchedule: string;
  cpuKernels: { jpeg: string; resize: string } | null;
  /** Per round, images/s. */
  bare: number[];
  studio: number[];
  bareImagesPerSecond: number;
  studioImagesPerSecond: number;
  ratio: number;
  /** Longest main-thread task (PerformanceObserver 'longtask', 0 = none over 50 ms) during (b). */
  maxMainThreadTaskMs: number;
  longTasks: number;
  /** Largest gap between zero-delay timer callbacks during (b): resolves tasks under 50 ms. */
  maxTimerGapMs: number;
  /**
   * Control: the same two figures while (a) runs, when the page's main thread does nothing at
   * all; what shows here is the machine (CPU contention), not the studio.
   */
  control: { maxMainThreadTaskMs: number; longTasks: number; maxTimerGapMs: number };
}

type BenchPage = {
  bareOpen(r: object): Promise<{ threads: number }>;
  bareRun(images: number): Promise<{ imagesPerSecond: number; threads: number; longTasks: number; maxLongTaskMs: number; maxTimerGapMs: number }>;
  studioOpen(model: string, c: object): Promise<{ dtype: string; prepSchedule: string; cpuKernels: { jpeg: string; resize: string } }>;
  studioRun(urls: string[], salt: number): Promise<{ imagesPerSecond: number; images: number; cached: number; longTasks: number; maxLongTaskMs: number; maxTimerGapMs: number }>;
  close(): void;
  trace(): string[];
};

/**
 * (a) and (b) stay loaded side by side and take turns on the same number of images, round after
 * round, so load from other processes on the machine hits both alike; the ratio is of the sums.
 */
async function benchOverhead(page: import('playwright-core').Page, photos: string[], cores: number): Promise<Overhead> {
  const threads = OV.threads || Math.min(4, cores);
  const file = OV.dtype === 'q8' ? 'vision_model_quantized.onnx' : 'vision_model.onnx';
  const [warm, timed] = [photos.slice(0, OV.batch), photos.slice(OV.batch, OV.batch + OV.images)]; // warm-up: one full batch
  const R = OV.grid === 1 ? 1 : 1 + OV.grid * OV.grid;
  const res: Overhead = {
    dtype: OV.dtype, threads, batch: OV.batch, grid: OV.grid, imageSize: OV.size.join('×'), images: timed.length, prepSchedule: '', cpuKernels: null,
    bare: [], studio: [], bareImagesPerSecond: 0, studioImagesPerSecond: 0, ratio: 0, maxMainThreadTaskMs: 0, longTasks: 0, maxTimerGapMs: 0,
    control: { maxMainThreadTaskMs: 0, longTasks: 0, maxTimerGapMs: 0 },
  };
  console.error(`overhead: ${OV.dtype}, ${threads} threads, batch ${OV.batch}, grid ${OV.grid}, ${timed.length} JPEGs (${OV.chroma === '420' ? '4:2:0' : '4:4:4'}) of ${res.imageSize} per round, ${OV.rounds} round(s)`);
  const bench = <T>(f: (b: BenchPage, arg: unknown) => Promise<T>, arg?: unknown) =>
    page.evaluate(([fs, a]) => new Function('b', 'a', `return (${fs})(b, a)`)((window as unknown as { bench: BenchPage }).bench, a) as Promise<T>, [f.toString(), arg] as const);
  try {
    const opened = await bench((b, r) => b.bareOpen(r as object), { url: `/bench-models/${MODEL_ID}/onnx/${file}`, threads, batch: OV.batch });
    if (opened.threads !== threads) throw new Error(`bare runtime runs ${opened.threads} threads, not ${threads}`);
    const status = await bench((b, c) => b.studioOpen((c as { id: string }).id, c as object), { id: MODEL_ID, dtype: OV.dtype, threads, batch: OV.batch, grid: OV.grid, warm, prepSchedule: OV.prep });
    if (status.dtype !== OV.dtype) throw new Error(`studio loaded ${status.dtype}, not ${OV.dtype}`);
    res.prepSchedule = status.prepSchedule;
    res.cpuKernels = status.cpuKernels;
    // One untimed turn of each first: the first timed bare round used to run ~15 % slow (the
    // session's first full-size runs), which flattered the studio's ratio.
    await bench((b, n) => b.bareRun(n as number), timed.length * R);
    await bench((b, x) => b.studioRun((x as [string[], number])[0], (x as [string[], number])[1]), [timed, 999]);
    let bareSec = 0;
    let studioSec = 0;
    for (let round = 0; round < OV.rounds; round++) {
      // The bare loop runs as many model images as the studio does (regions included).
      const a = await bench((b, n) => b.bareRun(n as number), timed.length * R);
      const bareImages = a.imagesPerSecond / R;
      const traceFile = process.env.BENCH_TRACE_FILE; // debugging: a Chrome trace of (b)
      if (traceFile) await page.context().browser()!.startTracing(page, { path: `${traceFile}.${round}.json`, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'toplevel'] });
      const r = await bench((b, x) => b.studioRun((x as [string[], number])[0], (x as [string[], number])[1]), [timed, round + 1]);
      if (traceFile) await page.context().browser()!.stopTracing();
      if (r.images !== timed.length) throw new Error(`studio embedded ${r.images} of ${timed.length} images (${r.cached} from the cache)`);
      if (process.env.BENCH_TRACE) console.error((await bench((b) => Promise.resolve(b.trace()))).join('\n'));
      res.bare.push(bareImages);
      res.studio.push(r.imagesPerSecond);
      bareSec += timed.length / bareImages;
      studioSec += timed.length / r.imagesPerSecond;
      res.maxMainThreadTaskMs = Math.max(res.maxMainThreadTaskMs, r.maxLongTaskMs);
      res.longTasks += r.longTasks;
      res.maxTimerGapMs = Math.max(res.maxTimerGapMs, r.maxTimerGapMs);
      res.control.maxMainThreadTaskMs = Math.max(res.control.maxMainThreadTaskMs, a.maxLongTaskMs);
      res.control.longTasks += a.longTasks;
      res.control.maxTimerGapMs = Math.max(res.control.maxTimerGapMs, a.maxTimerGapMs);
      console.error(`  round ${round + 1}: bare ${bareImages.toFixed(2)} img/s (main thread idle: ${a.longTasks} long tasks, max ${a.maxLongTaskMs.toFixed(0)} ms, timer gap ${a.maxTimerGapMs.toFixed(1)} ms), studio ${r.imagesPerSecond.toFixed(2)} img/s (${((100 * r.imagesPerSecond) / bareImages).toFixed(1)} %), main thread: ${r.longTasks} long tasks, max ${r.maxLongTaskMs.toFixed(0)} ms, max timer gap ${r.maxTimerGapMs.toFixed(1)} ms`);
    }
    res.bareImagesPerSecond = (OV.rounds * timed.length) / bareSec;
    res.studioImagesPerSecond = (OV.rounds * timed.length) / studioSec;
    res.ratio = res.studioImagesPerSecond / res.bareImagesPerSecond;
  } finally {
    await bench((b) => Promise.resolve(b.close()));
  }
  return res;
}

async function benchBrowser(dir: string, photos: string[]): Promise<{ rows: Row[]; overhead: Overhead | null }> {
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
  let overhead: Overhead | null = null;
  try {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(`${server.resolvedUrls!.local[0]}tools/bench/embed-page/index.html`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 60_000 });
    const env = await page.evaluate(() => (window as unknown as { bench: { env(): Promise<{ isolated: boolean; cores: number; adapter: { fallback: boolean; f16: boolean } | null }> } }).bench.env());
    console.error(`chromium: crossOriginIsolated=${env.isolated}, ${env.cores} cores, WebGPU adapter: ${env.adapter ? (env.adapter.fallback ? 'CPU fallback (SwiftShader)' : 'GPU') : 'none'}`);
    if (!env.isolated) throw new Error('the bench page is not cross-origin isolated: no WASM threads');
    if (!args.has('--no-overhead')) overhead = await benchOverhead(page, photos, env.cores);
    const configs: { device: string; dtype: string; threads: number; b1: number; b8: number }[] = [];
    if (!OVERHEAD_ONLY) for (const dtype of ['fp32', 'q8']) for (const threads of [1, 2]) configs.push({ device: 'wasm', dtype, threads, b1: QUICK ? 1 : 3, b8: 1 });
    if (OVERHEAD_ONLY) void 0;
    else if (env.adapter && !env.adapter.fallback) configs.push({ device: 'webgpu', dtype: 'fp32', threads: 0, b1: 10, b8: 3 });
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
  return { rows, overhead };
}

/** The same photos re-encoded 4:2:0 at quality 85 (sharp), once, into `out`. */
async function as420(files: string[], out: string): Promise<string[]> {
  mkdirSync(out, { recursive: true });
  const { default: sharp } = await import('sharp');
  return Promise.all(files.map(async (f) => {
    const to = join(out, basename(f));
    if (!existsSync(to)) await sharp(readFileSync(f)).jpeg({ quality: 85, chromaSubsampling: '4:2:0' }).toFile(to);
    return to;
  }));
}

async function main() {
  const dir = join(tmpdir(), 'concept-studio-bench', MODEL_ID);
  if (!existsSync(join(dir, 'onnx/vision_model_quantized.onnx'))) {
    console.error(`generating a random-weight ViT-B/32 image tower in ${dir} …`);
    mkdirSync(dir, { recursive: true });
    writeBenchModel(dir, join(ROOT, 'models/tiny-clip'));
  } else writeBenchTextTower(dir, join(ROOT, 'models/tiny-clip'));
  const photoDir = join(tmpdir(), 'concept-studio-bench', `photos-${OV.size.join('x')}`);
  let photoFiles = writeBenchPhotos(photoDir, OV.images + OV.batch, OV.size[0], OV.size[1]);
  if (OV.chroma === '420') photoFiles = await as420(photoFiles, `${photoDir}-420`);
  const photos = photoFiles.map((f) => `/bench-models/${f.slice(join(dir, '..').length + 1)}`);
  const rows: Row[] = [];
  if (!OVERHEAD_ONLY) {
    for (const dtype of ['fp32', 'q8'] as const) {
      rows.push(await benchNode(dir, dtype));
      console.error(`  ${rows.at(-1)!.runtime}: b1 ${rows.at(-1)!.b1!.toFixed(2)} img/s, b8 ${rows.at(-1)!.b8!.toFixed(2)} img/s`);
    }
  }
  let overhead: Overhead | null = null;
  if (!args.has('--no-browser')) {
    if (existsSync(CHROMIUM)) {
      const b = await benchBrowser(dir, photos);
      rows.push(...b.rows);
      overhead = b.overhead;
    } else console.error(`no Chromium at ${CHROMIUM}: browser figures skipped`);
  }
  if (JSON_OUT) {
    process.stdout.write(JSON.stringify({ bench: 'embed', rows, overhead }) + '\n');
    return;
  }
  if (overhead) {
    const o = overhead;
    console.log(`\nStudio overhead: ViT-B/32 image tower (random weights), WASM ${o.dtype}, ${o.threads} threads, batch ${o.batch}, grid ${o.grid}, ${o.images} JPEGs (${OV.chroma === '420' ? '4:2:0' : '4:4:4'}) of ${o.imageSize}`);
    console.log(`  (a) bare onnxruntime-web session.run loop, ready tensors, worker: ${o.bareImagesPerSecond.toFixed(2)} images/s`);
    console.log(`  (b) studio embed worker, encoded files end to end:             ${o.studioImagesPerSecond.toFixed(2)} images/s (preparation '${o.prepSchedule}', JPEG ${o.cpuKernels?.jpeg}, resize ${o.cpuKernels?.resize})`);
    console.log(`  ratio (b)/(a): ${(100 * o.ratio).toFixed(1)} % (target ≥ 90 %)`);
    console.log(`  main thread during (b): longest task ${o.longTasks ? `${o.maxMainThreadTaskMs.toFixed(0)} ms (${o.longTasks} long tasks)` : 'under 50 ms (no long task)'}; largest timer gap ${o.maxTimerGapMs.toFixed(1)} ms (target: no task > 50 ms)`);
    console.log(`  control, main thread idle during (a): longest task ${o.control.longTasks ? `${o.control.maxMainThreadTaskMs.toFixed(0)} ms (${o.control.longTasks} long tasks)` : 'under 50 ms (no long task)'}; largest timer gap ${o.control.maxTimerGapMs.toFixed(1)} ms`);
  }
  if (OVERHEAD_ONLY) return;
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
