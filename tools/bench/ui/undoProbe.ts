/**
 * `npx tsx tools/bench/ui/undoProbe.ts [--images 10000] [--concepts 124,600] [--no-build]` — the
 * UI thread's synchronous cost of undo and redo right after a slider drag (a quick-edit gesture of
 * five moves), in Chromium on the production bundle: the commit call's own time, three drags per
 * corpus size. The drag's undo adopts the logits kept when the drag began (state/liveCache.ts);
 * without them it recomputes N·M·C multiply-adds on the UI thread.
 */
import { startHarness } from '../../e2e/harness.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : dflt;
};
const N = Number(opt('--images', '10000'));
const sizes = opt('--concepts', '124,600').split(',').map(Number);

const h = await startHarness({ skipBuild: argv.includes('--no-build') });
try {
  console.log(`undo/redo after a slider drag, ${N.toLocaleString('en')} images: commit ms on the UI thread (undo / redo / undo again), three drags`);
  for (const M of sizes) {
    const p = await h.page({ query: `?synthetic=${N}&concepts=${M}` });
    await p.evaluate('window.__studio.getState().distill()');
    await p.waitForTimeout(300);
    const runs = (await p.evaluate(`(async () => {
      const s = window.__studio; const c = (a) => s.getState().commit(a);
      const pause = () => new Promise((r) => setTimeout(r, 50));
      const timed = (a) => { const t = performance.now(); c(a); return performance.now() - t; };
      const out = [];
      for (let k = 0; k < 3; k++) {
        c({ type: 'beginEdit', cls: 0, concept: 3 });
        for (let v = 1; v <= 5; v++) c({ type: 'quickEdit', cls: 0, concept: 3, value: v * 0.3 });
        c({ type: 'endEdit' });
        await pause();
        const undo = timed({ type: 'undo' }); await pause();
        const redo = timed({ type: 'redo' }); await pause();
        const again = timed({ type: 'undo' }); await pause();
        out.push([undo, redo, again]);
      }
      return out;
    })()`)) as number[][];
    console.log(`  M=${M}: ${runs.map((r) => r.map((x) => x.toFixed(1)).join(' / ')).join(',  ')}`);
    await p.context().close();
  }
} finally {
  await h.close();
}
