/**
 * `npm run bench:ui` — the studio's four speed and memory targets (issue 5, Performance), in the
 * production build in Debian's Chromium (speed targets live in benchmarks, never in timed tests):
 *
 *  1. slider drag at 10,000 images: main-thread work per move < 8 ms, split into script, style,
 *     layout, paint…; metrics and the dragged row follow within one frame;
 *  2. refit after uptune/downtune at 10,000 images < 2 s, without freezing the UI (longest
 *     main-thread task and longest gap between frames), for several corpus sizes M;
 *  3. first screen of the demo project < 5 s after page load (production preview, and the dev
 *     server that `npm start` runs);
 *  4. tab memory with 10,000 images loaded < 1 GB (synthetic thumbnails, and 10,000 real
 *     thumbnails as blob URLs).
 *
 * Options: --no-build (serve dist/), --images N (10000), --moves N (60), --concepts 40,124,600
 * (corpus sizes for the refit), --reps N (refits per size, 4), --only slider,refit,first,memory,
 * --json (the JSON only). Thread time, not wall time, where the machine's other load would
 * distort the figure; the load average is printed with the results.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'vite';
import { ROOT, startHarness, type Harness } from '../e2e/harness.ts';
import { measureSlider, type SliderResult } from './ui/slider.ts';
import { measureRefit, type RefitResult } from './ui/refit.ts';
import { measureFirstScreen, type FirstScreen } from './ui/firstScreen.ts';
import { measureMemory, rendererPids, useRealThumbnails, type MemoryResult } from './ui/memory.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : dflt;
};
const N = Number(opt('--images', '10000'));
const moves = Number(opt('--moves', '60'));
const conceptSizes = opt('--concepts', '40,124,600').split(',').map(Number);
const reps = Number(opt('--reps', '4'));
const only = new Set(opt('--only', 'slider,refit,first,memory').split(','));
const json = argv.includes('--json');

const f1 = (x: number) => x.toFixed(1);
const range = (xs: number[]) => (xs.length ? `${f1(Math.min(...xs))}–${f1(Math.max(...xs))}` : '—');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const say = (s: string) => { if (!json) console.log(s); };

/** A fresh context per measurement, so one cannot leave state (or memory) behind for the next. */
async function onPage<T>(h: Harness, query: string, run: (p: Awaited<ReturnType<Harness['page']>>) => Promise<T>): Promise<T> {
  const p = await h.page({ query });
  try {
    return await run(p);
  } finally {
    await p.context().close();
  }
}

async function devServerFirstScreen(h: Harness): Promise<FirstScreen[]> {
  const server = await createServer({
    root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'error', clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  try {
    const url = server.resolvedUrls!.local[0];
    // First visit after the server starts (Vite transforms modules on demand), then a second one.
    return [await measureFirstScreen(h.browser, url, 'vite dev (npm start), first visit'), await measureFirstScreen(h.browser, url, 'vite dev (npm start), second visit')];
  } finally {
    await server.close();
  }
}

const results: { slider?: SliderResult; refit?: RefitResult[]; firstScreen?: FirstScreen[]; memory?: MemoryResult[] } = {};
const loadBefore = loadavg()[0];
const h = await startHarness({ skipBuild: argv.includes('--no-build') });
try {
  if (only.has('slider')) {
    results.slider = await onPage(h, `?synthetic=${N}&engine=local`, (p) => measureSlider(h.browser, p, moves));
    const s = results.slider;
    const steps = Object.entries(s.perMove).filter(([k]) => k !== 'all').map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
    say(`\n1. Slider move at ${N.toLocaleString('en')} images (target < 8 ms main-thread work per move, following within one frame)`);
    say(`   all main-thread tasks ${s.perMove.all.toFixed(2)} ms/move = ${steps}`);
    say(`   of which the harness (pointer event, frame round-trip, check; measured without a drag) ${s.harnessPerMove.toFixed(2)} ms → studio ${s.netPerMove.toFixed(2)} ms/move`);
    say(`   metrics and row in step one frame after the move: ${s.inStepAfterOneFrame}/${s.moves}; history nodes after the drag ${s.historyNodesAfterDrag}`);
  }
  if (only.has('refit')) {
    results.refit = [];
    say(`\n2. Refit after uptune/downtune at ${N.toLocaleString('en')} images (target < 2 s, UI not frozen)`);
    for (const M of conceptSizes) {
      const r = await onPage(h, `?synthetic=${N}&concepts=${M}`, (p) => measureRefit(h.browser, p, reps));
      results.refit.push(r);
      say(`   M=${r.M} concepts, ${r.members} members (distil ${f1(r.distillSeconds)} s): refit ${range(r.runs.map((x) => x.ms / 1000))} s `
        + `(median ${(median(r.runs.map((x) => x.paintedMs)) / 1000).toFixed(2)} s to the painted result); longest main-thread task ${range(r.runs.map((x) => x.longestTasksMs[0]?.wall ?? 0))} ms (its own CPU time ${range(r.runs.map((x) => x.longestTasksMs[0]?.thread ?? 0))} ms), `
        + `longest frame gap ${range(r.runs.map((x) => x.maxFrameGapMs))} ms`);
    }
  }
  if (only.has('first')) {
    results.firstScreen = [await measureFirstScreen(h.browser, h.url, 'production build (vite preview)'), ...(await devServerFirstScreen(h))];
    say('\n3. First screen of the demo project after page load (target < 5 s)');
    for (const f of results.firstScreen) say(`   ${f.server}: shell ${(f.shellMs / 1000).toFixed(2)} s, demo data ${(f.dataMs / 1000).toFixed(2)} s, first thumbnail ${(f.thumbMs / 1000).toFixed(2)} s, distilled student shown ${(f.studentMs / 1000).toFixed(2)} s`);
  }
  if (only.has('memory')) {
    results.memory = [];
    say(`\n4. Tab memory with ${N.toLocaleString('en')} images loaded, after scrolling top to bottom through the gallery (target < 1 GB)`);
    for (const real of [false, true]) {
      const before = await rendererPids(h.browser);
      const m = await onPage(h, `?synthetic=${N}`, async (p) => {
        let what = `${N.toLocaleString('en')} synthetic images (drawn thumbnails)`;
        if (real) what = `${N.toLocaleString('en')} images with real thumbnails (${await useRealThumbnails(p)} demo files cycled, one blob URL each)`;
        return measureMemory(h.browser, p, what, before);
      });
      results.memory.push(m);
      say(`   ${m.what}: renderer RSS ${m.rendererRssMB.toFixed(0)} MB (private ${m.rendererPrivateMB.toFixed(0)} MB), JS heap ${m.jsHeapUsedMB.toFixed(0)} MB, `
        + `measureUserAgentSpecificMemory ${m.uaMemoryMB == null ? 'n/a' : `${m.uaMemoryMB.toFixed(0)} MB`}, ${m.domNodes} DOM nodes, ${m.scrolledRows} gallery rows shown while scrolling`);
    }
  }
} finally {
  await h.close();
}
const machine = { cpus: cpus().length, loadBefore: +loadBefore.toFixed(2), loadAfter: +loadavg()[0].toFixed(2) };
say(`\nmachine: ${machine.cpus} CPUs, load average ${machine.loadBefore} before, ${machine.loadAfter} after (other work on the machine slows wall times)`);
console.log(json ? JSON.stringify({ bench: 'ui', N, machine, ...results }) : `\n${JSON.stringify({ machine, ...results })}`);
