/**
 * `npx tsx tools/bench/ui/sliderParts.ts [--images 10000] [--moves 30] [--no-build]` — where a
 * slider move's main-thread time goes: the same drag measured with parts of the page taken out of
 * rendering by a style rule (display: none), one variant after the other in one page, so the
 * differences are comparable even on a loaded machine. Prints ms of main-thread thread time per
 * move by rendering step for each variant.
 */
import { startHarness } from '../../e2e/harness.ts';
import { breakdown, mainThread, traced } from './trace.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : dflt;
};
const N = Number(opt('--images', '10000'));
const moves = Number(opt('--moves', '30'));
const VARIANTS: [string, string][] = [
  ['whole page', ''],
  ['without Performance body', '#performance .body { display: none !important; }'],
  ['without gallery', '#images .gallery { display: none !important; }'],
  ['without heatmap', '#concepts .heatmap-wrap { display: none !important; }'],
  ['without History', '#history .body { display: none !important; }'],
  ['without Project body', '#project .body { display: none !important; }'],
  ['without Compare body', '#compare .body { display: none !important; }'],
  ['whole page again', ''],
];

const h = await startHarness({ skipBuild: argv.includes('--no-build') });
try {
  const p = await h.page({ query: `?synthetic=${N}&engine=local` });
  const slider = p.getByRole('slider', { name: 'weight of new part for ok' });
  const frame = () => p.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))');
  for (const [name, css] of VARIANTS) {
    await p.evaluate(`(() => { let s = document.getElementById('__probe'); if (!s) { s = document.createElement('style'); s.id = '__probe'; document.head.append(s); } s.textContent = ${JSON.stringify(css)}; })()`);
    await frame();
    const box = (await slider.boundingBox())!;
    const y = box.y + box.height / 2;
    const x = (f: number) => box.x + box.width * f;
    await p.mouse.move(x(0.8), y);
    await p.mouse.down();
    for (let k = 0; k < 5; k++) await p.mouse.move(x(0.8 - k * 0.01), y);
    const { events } = await traced(h.browser, p, async () => {
      for (let k = 0; k < moves; k++) {
        await p.mouse.move(x(0.7 - (k * 0.6) / moves), y);
        await frame();
      }
    });
    await p.mouse.up();
    await p.waitForTimeout(300);
    const b = breakdown(mainThread(events));
    const per = Object.entries(b).map(([k, v]) => `${k} ${(v / moves).toFixed(2)}`).join(', ');
    console.log(`${name.padEnd(28)} ${per}`);
    if (argv.includes('--names') && name === 'whole page') {
      // Inclusive thread ms per move by trace event name (nested events count in each of their parents).
      const by: Record<string, number> = {};
      for (const e of mainThread(events)) by[e.name] = (by[e.name] ?? 0) + (e.tdur ?? e.dur ?? 0) / 1000 / moves;
      console.log(Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `   ${v.toFixed(2)} ${k}`).join('\n'));
    }
  }
} finally {
  await h.close();
}
