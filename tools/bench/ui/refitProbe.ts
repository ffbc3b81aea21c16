/**
 * `npx tsx tools/bench/ui/refitProbe.ts [--concepts 124] [--images 10000] [--no-build]` — what the
 * main thread does when a refit (uptune) result arrives: a CPU profile of the page around one
 * uptune click (inclusive and self time per function; run with E2E_NO_MINIFY=1 for readable
 * names) and the main thread's longest tasks from a Chromium trace.
 */
import { startHarness } from '../../e2e/harness.ts';
import { longestTasks, mainThread, traced } from './trace.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : dflt;
};
const N = Number(opt('--images', '10000'));
const M = Number(opt('--concepts', '124'));

const h = await startHarness({ skipBuild: argv.includes('--no-build') });
try {
  const p = await h.page({ query: `?synthetic=${N}&concepts=${M}` });
  await p.evaluate('window.__studio.getState().distill()');
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  const { value, events } = await traced(h.browser, p, async () => {
    await cdp.send('Profiler.start');
    const r = await p.evaluate(`new Promise((resolve) => {
      const s = window.__studio;
      const n0 = Object.keys(s.getState().session.history.nodes).length;
      const t0 = performance.now();
      const unsub = s.subscribe((st) => {
        if (st.busy || Object.keys(st.session.history.nodes).length <= n0) return;
        unsub();
        const t1 = performance.now();
        requestAnimationFrame(() => setTimeout(() => resolve({ ms: t1 - t0, painted: performance.now() - t0 }), 0));
      });
      // The concept list is virtualised: 'new part' when its row is rendered, else the top row's.
      (document.querySelector('button[aria-label^="Uptune new part for ok"]') ?? document.querySelector('#concepts button[aria-label^="Uptune "]')).click();
    })`);
    const { profile } = await cdp.send('Profiler.stop');
    return { r, profile };
  });
  console.log('refit', value.r);
  console.log('longest tasks', longestTasks(mainThread(events), 5));
  const prof = value.profile;
  const dt = new Map<number, number>();
  prof.samples!.forEach((id, k) => dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas![k] ?? 0)));
  const key = (f: { functionName: string; url: string; lineNumber: number }) => `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const incl: Record<string, number> = {};
  const self: Record<string, number> = {};
  for (const n of prof.nodes) {
    const t = (dt.get(n.id) ?? 0) / 1000;
    if (!t) continue;
    self[key(n.callFrame)] = (self[key(n.callFrame)] ?? 0) + t;
    const seen = new Set<string>();
    for (let cur: number | undefined = n.id; cur != null; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      incl[k] = (incl[k] ?? 0) + t;
    }
  }
  const skip = (k: string) => k.startsWith('(idle)') || k.startsWith('(root)') || k.startsWith('(program)');
  console.log('-- inclusive ms');
  console.log(Object.entries(incl).filter(([k]) => !skip(k)).sort((x, y) => y[1] - x[1]).slice(0, 50).map(([k, v]) => `${v.toFixed(1)}  ${k}`).join('\n'));
  console.log('-- self ms');
  console.log(Object.entries(self).filter(([k]) => !skip(k)).sort((x, y) => y[1] - x[1]).slice(0, 30).map(([k, v]) => `${v.toFixed(1)}  ${k}`).join('\n'));
} finally {
  await h.close();
}
