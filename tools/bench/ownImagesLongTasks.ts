/**
 * Main-thread long tasks while the studio builds a project from your own images, in real
 * Chromium on the production bundle: `npx tsx tools/bench/ownImagesLongTasks.ts [--n 128]
 * [--model demo-clip|tiny-clip] [--grid 1|2|3] [--zip] [--against <git rev>] [--rounds 1] [--json]`.
 *
 * Generates N seeded 320×240 JPEGs in two class folders, picks them in Project › Dataset
 * (Folder…, or one zip of them with --zip), presses Build project and records every
 * PerformanceObserver 'longtask' (> 50 ms on the page's thread) with the build's stage at
 * that moment. Prints, per bundle: the longest task while the images are read and embedded
 * (the target: none over 50 ms), the longest over the whole build (click → "Built",
 * which includes committing and drawing the new project once), how many tasks were over 50 ms,
 * and their total blocking time (Σ (duration − 50 ms)).
 *
 * --against <rev> also builds that git revision (git archive into a temp folder, sharing this
 * checkout's node_modules) and runs the two bundles turn by turn in one sitting, so machine
 * load hits both alike: the before/after comparison. Wall-clock on a shared machine: compare
 * the two columns of one run, not numbers across runs.
 */
import { build, preview, type PreviewServer } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import { encodeJpeg } from '../../src/data/images/index.ts';
import { mulberry32, randNormal } from '../../src/core/math/rng.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const argv = process.argv.slice(2);
const opt = (k: string, d: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const N = Number(opt('--n', '128'));
const MODEL = opt('--model', 'demo-clip');
const GRID = Number(opt('--grid', '1'));
const AGAINST = opt('--against', '');
const ROUNDS = Number(opt('--rounds', '1'));
const ZIP = argv.includes('--zip');
const JSON_OUT = argv.includes('--json');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const log = (s: string) => process.stderr.write(`${s}\n`);

/** A photo-like 320×240 JPEG: a colour field with noise and a few soft blobs. */
function photo(seed: number, red: boolean): Uint8Array {
  const rng = mulberry32(seed);
  const W = 320, H = 240;
  const data = new Uint8Array(W * H * 3);
  const base = red ? [190, 60, 50] : [50, 80, 190];
  const blobs = Array.from({ length: 4 }, () => [rng() * W, rng() * H, 20 + rng() * 50, (rng() - 0.5) * 120]);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let add = 0;
    for (const [bx, by, r, v] of blobs) add += v * Math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (r * r));
    for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = Math.max(0, Math.min(255, base[c] + add + Math.round(14 * randNormal(rng))));
  }
  return encodeJpeg({ width: W, height: H, data }, 85);
}

interface Bundle { name: string; dir: string; outDir: string; server?: PreviewServer; url?: string }

/** The tree of a git revision in a temp folder, with this checkout's node_modules linked in. */
function checkoutOf(rev: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'longtasks-rev-'));
  execSync(`git archive ${rev} | tar -x -C ${JSON.stringify(dir)}`, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], shell: '/bin/bash' });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

async function buildBundle(b: Bundle): Promise<void> {
  log(`building ${b.name} …`);
  await build({ root: b.dir, logLevel: 'warn', configFile: join(b.dir, 'vite.config.ts'), build: { outDir: b.outDir, emptyOutDir: true } });
  const port = 41000 + Math.floor(Math.random() * 20000);
  b.server = await preview({ root: b.dir, configFile: join(b.dir, 'vite.config.ts'), logLevel: 'warn', build: { outDir: b.outDir }, preview: { port, strictPort: true, host: '127.0.0.1', open: false } });
  b.url = `http://127.0.0.1:${port}/`;
}

interface Run { longestPickMs: number; pickSeconds: number; longestEmbedMs: number; longestBuildMs: number; over50: number; blockingMs: number; buildSeconds: number; embedSeconds: number; worst: string[] }

async function runOnce(browser: Browser, b: Bundle, folder: string, zipPath: string): Promise<Run> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, bypassCSP: true });
  // Every long task from the first paint on, stamped with the build job's stage at that moment.
  await ctx.addInitScript(`(() => {
    window.__lt = []; window.__stage = 'idle';
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lt.push([e.startTime, e.duration, window.__stage]); }).observe({ type: 'longtask', buffered: true });
  })()`);
  const p = await ctx.newPage();
  p.on('pageerror', (e) => log(`[page error] ${e.message}`));
  await p.goto(b.url!);
  await p.getByRole('heading', { name: 'History', exact: true }).waitFor({ timeout: 120_000 });
  await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
  await p.evaluate(`window.__studio.getState().setEnv({ modelId: ${JSON.stringify(MODEL)} })`);
  await p.waitForTimeout(1000);
  const tPick = (await p.evaluate('performance.now()')) as number;
  if (ZIP) await p.getByLabel('Zip…').setInputFiles(zipPath);
  else await p.getByLabel('Folder…', { exact: true }).setInputFiles(folder);
  await p.getByTestId('import-preview').getByText(`${N} images`, { exact: false }).waitFor({ timeout: 120_000 });
  const tPicked = (await p.evaluate('performance.now()')) as number;
  if (GRID !== 1) {
    const regions = p.getByRole('combobox', { name: /^Regions/ });
    if (await regions.count()) await regions.selectOption(String(GRID));
    else log(`${b.name}: has no region choice; building with the whole image only`);
  }
  await p.evaluate(`(() => { window.__stages = []; let last = '';
    window.__studio.subscribe((s) => { const j = s.jobs[0]; const st = j ? j.stage.split(' · ')[0] : 'none';
      window.__stage = st; if (st !== last) { last = st; window.__stages.push([st, performance.now()]); } }); })()`);
  const t0 = (await p.evaluate('performance.now()')) as number;
  await p.getByRole('button', { name: 'Build project' }).click();
  await p.getByTestId('own-images-message').getByText(/^Built /).waitFor({ timeout: 600_000 });
  const t1 = (await p.evaluate('performance.now()')) as number;
  await p.waitForTimeout(500);
  const all = (await p.evaluate('window.__lt')) as [number, number, string][];
  const lt = all.filter(([s]) => s >= t0 - 5);
  const inPick = all.filter(([s]) => s >= tPick - 5 && s <= tPicked);
  const stages = (await p.evaluate('window.__stages')) as [string, number][];
  await ctx.close();
  // Reading and embedding the images: every stage of the image loop of state/buildProject.ts.
  const imageStage = (s: string) => /^(reading|thumbnails|ONNX teacher|embedding)$/.test(s);
  const firstAfter = stages.find(([s, t]) => t > t0 && !imageStage(s) && !/^(none|idle|starting|)$/.test(s));
  const embedEnd = firstAfter ? firstAfter[1] : t1;
  const inEmbed = lt.filter(([s]) => s < embedEnd);
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
  return {
    longestPickMs: Math.round(max(inPick.map((x) => x[1]))),
    pickSeconds: +((tPicked - tPick) / 1000).toFixed(1),
    longestEmbedMs: Math.round(max(inEmbed.map((x) => x[1]))),
    longestBuildMs: Math.round(max(lt.map((x) => x[1]))),
    over50: lt.length,
    blockingMs: Math.round(lt.reduce((a, x) => a + Math.max(0, x[1] - 50), 0)),
    buildSeconds: +((t1 - t0) / 1000).toFixed(1),
    embedSeconds: +((embedEnd - t0) / 1000).toFixed(1),
    worst: [...lt].sort((a, c) => c[1] - a[1]).slice(0, 4).map(([s, d, st]) => `${Math.round(d)} ms at +${((s - t0) / 1000).toFixed(1)} s (${st || 'after the job'})`),
  };
}

const work = mkdtempSync(join(tmpdir(), 'longtasks-'));
const folder = join(work, 'shots');
const entries: Record<string, Uint8Array> = {};
for (let i = 0; i < N; i++) {
  const cls = i % 2 ? 'blue' : 'red';
  mkdirSync(join(folder, cls), { recursive: true });
  const bytes = photo(i, cls === 'red');
  writeFileSync(join(folder, cls, `${cls}-${i}.jpg`), bytes);
  entries[`shots/${cls}/${cls}-${i}.jpg`] = bytes;
}
const zipPath = join(work, 'shots.zip');
writeFileSync(zipPath, zipSync(entries, { level: 6 }));

const bundles: Bundle[] = [];
if (AGAINST) bundles.push({ name: AGAINST, dir: checkoutOf(AGAINST), outDir: '' });
bundles.push({ name: 'this tree', dir: ROOT, outDir: '' });
for (const b of bundles) b.outDir = join(b.dir === ROOT ? join(ROOT, 'node_modules/.cache') : b.dir, `longtasks-dist-${process.pid}`);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const results: Record<string, Run[]> = {};
try {
  for (const b of bundles) await buildBundle(b);
  for (let r = 0; r < ROUNDS; r++) {
    for (const b of bundles) {
      log(`round ${r + 1}: ${b.name} …`);
      (results[b.name] ??= []).push(await runOnce(browser, b, folder, zipPath));
    }
  }
} finally {
  await browser.close();
  for (const b of bundles) {
    await new Promise<void>((res) => (b.server ? b.server.httpServer.close(() => res()) : res()));
    rmSync(b.outDir, { recursive: true, force: true });
    if (b.dir !== ROOT) rmSync(b.dir, { recursive: true, force: true });
  }
  rmSync(work, { recursive: true, force: true });
}
if (JSON_OUT) console.log(JSON.stringify({ N, model: MODEL, grid: GRID, zip: ZIP, results }));
else {
  console.log(`own-images build: ${N} JPEGs 320×240 (${ZIP ? 'one zip' : 'a folder'}), model ${MODEL}, grid ${GRID}, Chromium 1440×900, ${ROUNDS} round(s); long tasks = PerformanceObserver 'longtask' (> 50 ms)`);
  for (const [name, runs] of Object.entries(results)) {
    runs.forEach((r, k) => {
      console.log(`${name} #${k + 1}: longest task while picking ${r.longestPickMs} ms (${r.pickSeconds} s to the preview) · while reading+embedding ${r.longestEmbedMs} ms (${r.embedSeconds} s) · longest over the whole build ${r.longestBuildMs} ms (${r.buildSeconds} s) · ${r.over50} tasks > 50 ms · blocking ${r.blockingMs} ms`);
      console.log(`    worst: ${r.worst.join('; ') || 'none'}`);
    });
  }
}
if (existsSync(work)) rmSync(work, { recursive: true, force: true });
