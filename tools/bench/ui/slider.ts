/**
 * Slider drag at N images: main-thread thread time per pointer move, split into script, style,
 * layout, paint…, minus what the harness itself costs (the same pointer moves and frame
 * round-trips with no drag). Also checks that the metrics and the dragged row show the new
 * value one frame after each move.
 */
import type { Browser, Page } from 'playwright-core';
import { breakdown, mainThread, traced } from './trace.ts';

export interface SliderResult {
  moves: number;
  /** Per move, ms of main-thread thread time, by step (all = every task). */
  perMove: Record<string, number>;
  /** Per move, the same pointer moves + frames with no drag (the harness's own cost). */
  harnessPerMove: number;
  /** perMove.all − harnessPerMove. */
  netPerMove: number;
  /** Moves after which (one frame later) the Fidelity figure and the row's number matched the store. */
  inStepAfterOneFrame: number;
  wallMsPerMove: number;
  historyNodesAfterDrag: number;
}

const frame = (p: Page) => p.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))');

/** What the page shows vs what the store holds, right now (a string: tsx helpers do not exist in the page). */
const IN_STEP = `(() => {
  const s = window.__studio.getState();
  const m = s.metrics;
  const kpi = document.querySelector('[data-testid=kpi-fidelity] .v')?.textContent ?? '';
  const want = (m.fidelity * 100).toFixed(1) + ' %';
  const row = document.querySelector('[data-concept="new part"]');
  const num = row?.querySelector('span.num')?.textContent ?? '';
  const w = s.live.weight(s.ui.cls, s.dataset.concepts.indexOf('new part'));
  return kpi.startsWith(want) && num === (Math.abs(w) < 5e-4 ? '0' : w.toFixed(2));
})()`;

export async function measureSlider(browser: Browser, page: Page, moves: number): Promise<SliderResult> {
  const slider = page.getByRole('slider', { name: 'weight of new part for ok' });
  const box = (await slider.boundingBox())!;
  const y = box.y + box.height / 2;
  const x = (f: number) => box.x + box.width * f;
  // Harness cost: the same pointer moves, frame round-trips and checks, over the top bar.
  const base = await traced(browser, page, async () => {
    for (let k = 0; k < moves; k++) {
      await page.mouse.move(300 + k, 20);
      await frame(page);
      await page.evaluate(IN_STEP);
    }
  });
  const harness = breakdown(mainThread(base.events)).all / moves;

  await page.mouse.move(x(0.8), y);
  await page.mouse.down();
  for (let k = 0; k < 10; k++) await page.mouse.move(x(0.8 - k * 0.01), y); // JIT warm-up
  let inStep = 0;
  const w0 = performance.now();
  const drag = await traced(browser, page, async () => {
    for (let k = 0; k < moves; k++) {
      await page.mouse.move(x(0.7 - (k * 0.6) / moves), y);
      await frame(page);
      if (await page.evaluate(IN_STEP)) inStep++;
    }
  });
  const wall = (performance.now() - w0) / moves;
  await page.mouse.up();
  const b = breakdown(mainThread(drag.events));
  const perMove = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v / moves]));
  const nodes = (await page.evaluate('Object.keys(window.__studio.getState().session.history.nodes).length')) as number;
  return {
    moves,
    perMove,
    harnessPerMove: harness,
    netPerMove: perMove.all - harness,
    inStepAfterOneFrame: inStep,
    wallMsPerMove: wall,
    historyNodesAfterDrag: nodes,
  };
}
