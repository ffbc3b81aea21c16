/**
 * `npm run bench:ui` — main-thread cost of a weight-slider drag on 10,000 images, in the
 * production build in Chromium (the project's rule: speed targets are met in benchmarks, never
 * in timed tests). Prints ms per slider move: the script our code runs (input event + the rAF
 * commit through the core session and LiveLogits + React render) and all main-thread tasks.
 *
 * Options: --no-build (reuse dist/), --images N (default 10000), --moves N (default 60).
 */
import { cpus, loadavg } from 'node:os';
import { startHarness } from '../e2e/harness.ts';

const arg = (name: string, dflt: number) => {
  const k = process.argv.indexOf(name);
  return k >= 0 ? Number(process.argv[k + 1]) : dflt;
};
const N = arg('--images', 10_000);
const moves = arg('--moves', 60);

const h = await startHarness({ skipBuild: process.argv.includes('--no-build') });
try {
  const p = await h.page({ query: `?synthetic=${N}&engine=local` });
  const slider = p.getByRole('slider', { name: 'weight of new part for ok' });
  const box = (await slider.boundingBox())!;
  const y = box.y + box.height / 2;
  const frame = () => p.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))');
  await p.mouse.move(box.x + box.width * 0.8, y);
  await p.mouse.down();
  for (let k = 0; k < 10; k++) await p.mouse.move(box.x + box.width * (0.8 - k * 0.01), y); // JIT warm-up
  await h.browser.startTracing(p, { categories: ['devtools.timeline', 'toplevel'] });
  const w0 = performance.now();
  for (let k = 0; k < moves; k++) {
    await p.mouse.move(box.x + box.width * (0.7 - (k * 0.6) / moves), y);
    await frame();
  }
  const wall = (performance.now() - w0) / moves;
  type Ev = { name: string; ph: string; ts: number; dur?: number; tdur?: number; tid: number; pid: number; args?: { name?: string } };
  const trace = JSON.parse((await h.browser.stopTracing()).toString()) as { traceEvents: Ev[] };
  await p.mouse.up();
  const main = trace.traceEvents.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')!;
  // Thread CPU time (tdur) of outermost events only: other load on the machine does not count
  // as our work, and nested dispatches do not count twice.
  const perMove = (names: string[]) => {
    const evs = trace.traceEvents.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && names.includes(e.name)).sort((a, b) => a.ts - b.ts);
    let end = -Infinity;
    let total = 0;
    for (const e of evs) {
      if (e.ts < end) continue;
      end = e.ts + (e.dur ?? 0);
      total += (e.tdur ?? e.dur ?? 0) / 1000;
    }
    return total / moves;
  };
  const nodes = await p.evaluate('Object.keys(window.__studio.getState().session.history.nodes).length');
  const result = {
    images: N,
    moves,
    scriptMsPerMove: +perMove(['EventDispatch', 'FireAnimationFrame']).toFixed(2),
    mainThreadAllTasksMsPerMove: +perMove(['RunTask', 'ThreadControllerImpl::RunTask']).toFixed(2),
    wallMsPerMove: +wall.toFixed(1),
    historyNodesAfterDrag: nodes,
    threadTime: trace.traceEvents.some((e) => e.tdur != null),
    load: +loadavg()[0].toFixed(2),
    cpus: cpus().length,
  };
  console.log(JSON.stringify(result, null, 1));
  console.log(`slider move at ${N.toLocaleString('en')} images: ${result.scriptMsPerMove} ms script, ${result.mainThreadAllTasksMsPerMove} ms all main-thread tasks (incl. harness round-trip and software paint)`);
} finally {
  await h.close();
}
