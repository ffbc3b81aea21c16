/** `npx tsx tools/e2e/perfProbe.ts` — main-thread cost breakdown of a slider drag on 10k images. */
import { startHarness } from './harness.ts';

const h = await startHarness({ skipBuild: process.argv.includes('--no-build') });
try {
  const p = await h.page({ query: '?synthetic=10000&engine=local' });
  // --hide 'css selector': hide part of the page to see what its rendering costs per move.
  const hide = process.argv.indexOf('--hide');
  if (hide >= 0) await p.addStyleTag({ content: `${process.argv[hide + 1]} { visibility: hidden !important; }` });
  // --css 'rules': try a style change without rebuilding.
  const css = process.argv.indexOf('--css');
  if (css >= 0) await p.addStyleTag({ content: process.argv[css + 1] });
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
  const profile = process.argv.includes('--profile');
  if (profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
  }
  const a = await metrics();
  for (let k = 0; k < moves; k++) {
    await p.mouse.move(box.x + box.width * (0.7 - (k * 0.6) / moves), y);
    await p.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))');
  }
  const b = await metrics();
  if (profile) {
    // Self time per function (run with E2E_NO_MINIFY=1 for readable names).
    const { profile: prof } = await cdp.send('Profiler.stop');
    const dt = new Map<number, number>();
    prof.samples!.forEach((id, k) => dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas![k] ?? 0)));
    const self: Record<string, number> = {};
    for (const n of prof.nodes) {
      const f = n.callFrame;
      const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
      self[key] = (self[key] ?? 0) + (dt.get(n.id) ?? 0) / 1000 / moves;
    }
    // Inclusive time of each function (self + callees), counted once per stack.
    const parent = new Map<number, number>();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const incl: Record<string, number> = {};
    for (const n of prof.nodes) {
      const t = (dt.get(n.id) ?? 0) / 1000 / moves;
      if (!t) continue;
      const seen = new Set<string>();
      for (let cur: number | undefined = n.id; cur != null; cur = parent.get(cur)) {
        const f = byId.get(cur)!.callFrame;
        const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
        if (seen.has(key)) continue;
        seen.add(key);
        incl[key] = (incl[key] ?? 0) + t;
      }
    }
    console.log('-- inclusive');
    console.log(Object.entries(incl).filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)') && !k.startsWith('(program)')).sort((x, y) => y[1] - x[1]).slice(0, 45).map(([k, v]) => `${v.toFixed(3)} ms  ${k}`).join('\n'));
    console.log('-- self');
    console.log(Object.entries(self).filter(([k]) => !k.startsWith('(idle)')).sort((x, y) => y[1] - x[1]).slice(0, 30).map(([k, v]) => `${v.toFixed(3)} ms  ${k}`).join('\n'));
  }
  const trace = JSON.parse((await p.context().browser()!.stopTracing()).toString());
  await p.mouse.up();
  // Sum top-level durations by event name on the renderer main thread.
  const evs = trace.traceEvents as { name: string; ph: string; dur?: number; tid: number; pid: number }[];
  const main = evs.find((e) => e.name === 'thread_name' && (e as any).args?.name === 'CrRendererMain');
  const sums: Record<string, number> = {};
  for (const e of evs) if (main && e.tid === main.tid && e.pid === main.pid && e.ph === "X" && e.dur) sums[e.name] = (sums[e.name] ?? 0) + ((e as { tdur?: number }).tdur ?? e.dur) / 1000 / moves; // thread time
  console.log(Object.entries(sums).sort((x, y) => y[1] - x[1]).slice(0, 18).map(([k, v]) => `${k}: ${v.toFixed(2)}`).join('\n'));
  const per = (k: string) => (((b[k] - a[k]) * 1000) / moves).toFixed(2);
  const commits = (await p.evaluate('window.__commitMs')) as number[];
  console.log({ task: per('TaskDuration'), script: per('ScriptDuration'), layout: per('LayoutDuration'), style: per('RecalcStyleDuration'),
    commitAvg: (commits.reduce((x, y) => x + y, 0) / commits.length).toFixed(2), commits: commits.length });
} finally {
  await h.close();
}
