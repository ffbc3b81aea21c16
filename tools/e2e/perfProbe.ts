/** `npx tsx tools/e2e/perfProbe.ts` — main-thread cost breakdown of a slider drag on 10k images. */
import { startHarness } from './harness.ts';

const h = await startHarness({ skipBuild: process.argv.includes('--no-build') });
try {
  const p = await h.page({ query: '?synthetic=10000&engine=local' });
  const slider = p.getByRole('slider', { name: 'weight of new part for ok' });
  const box = (await slider.boundingBox())!;
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  // A string, not a function: tsx's keepNames helpers do not exist in the page.
  await p.evaluate(`(() => {
    const s = window.__studio;
    const orig = s.getState().commit;
    window.__commitMs = [];
    s.setState({ commit: (a) => { const t = performance.now(); orig(a); window.__commitMs.push(performance.now() - t); } });
  })()`);
  // Baseline: the same number of pointer moves and rAF round-trips with no drag (harness cost).
  const base0 = await metrics();
  for (let k = 0; k < 40; k++) {
    await p.mouse.move(600 + k, 20);
    await p.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))');
  }
  const base1 = await metrics();
  console.log('baseline task ms/move', (((base1.TaskDuration - base0.TaskDuration) * 1000) / 40).toFixed(2));
  const y = box.y + box.height / 2;
  await p.mouse.move(box.x + box.width * 0.8, y);
  await p.mouse.down();
  for (let k = 0; k < 10; k++) await p.mouse.move(box.x + box.width * (0.8 - k * 0.01), y);
  const moves = 40;
  await p.context().browser()!.startTracing(p, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  const a = await metrics();
  for (let k = 0; k < moves; k++) {
    await p.mouse.move(box.x + box.width * (0.7 - (k * 0.6) / moves), y);
    await p.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))');
  }
  const b = await metrics();
  const trace = JSON.parse((await p.context().browser()!.stopTracing()).toString());
  await p.mouse.up();
  // Sum top-level durations by event name on the renderer main thread.
  const evs = trace.traceEvents as { name: string; ph: string; dur?: number; tid: number; pid: number }[];
  const main = evs.find((e) => e.name === 'thread_name' && (e as any).args?.name === 'CrRendererMain');
  const sums: Record<string, number> = {};
  for (const e of evs) if (main && e.tid === main.tid && e.pid === main.pid && e.ph === 'X' && e.dur) sums[e.name] = (sums[e.name] ?? 0) + e.dur / 1000 / moves;
  console.log(Object.entries(sums).sort((x, y) => y[1] - x[1]).slice(0, 18).map(([k, v]) => `${k}: ${v.toFixed(2)}`).join('\n'));
  const per = (k: string) => (((b[k] - a[k]) * 1000) / moves).toFixed(2);
  const commits = (await p.evaluate('window.__commitMs')) as number[];
  console.log({ task: per('TaskDuration'), script: per('ScriptDuration'), layout: per('LayoutDuration'), style: per('RecalcStyleDuration'),
    commitAvg: (commits.reduce((x, y) => x + y, 0) / commits.length).toFixed(2), commits: commits.length });
} finally {
  await h.close();
}
