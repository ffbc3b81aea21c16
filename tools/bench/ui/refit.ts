/**
 * Refit after uptune/downtune (METHODS.md §5) in the real app: the train worker, the
 * onnxruntime-web kernel, the commit and the re-render. Wall time from the click to the next
 * painted frame with the new history node, the longest main-thread task meanwhile (trace) and
 * the longest gap between animation frames (what a user would feel as a freeze).
 */
import type { Browser, Page } from 'playwright-core';
import { longestTasks, mainThread, traced } from './trace.ts';

export interface RefitRun {
  /** The button clicked, e.g. "Uptune new part for ok ×2". */
  op: string;
  /** Click → history node committed. */
  ms: number;
  /** Click → first frame painted after the commit. */
  paintedMs: number;
  /** Longest gap between two animation frames during the refit. */
  maxFrameGapMs: number;
  /** Longest main-thread tasks during the refit (wall and thread ms). */
  longestTasksMs: { wall: number; thread: number }[];
}

export interface RefitResult {
  N: number;
  M: number;
  members: number;
  distillSeconds: number;
  runs: RefitRun[];
}

/** One tune click, timed inside the page (a string: tsx helpers do not exist in the page). */
const TUNE = (label: string) => `new Promise((resolve) => {
  const s = window.__studio;
  const n0 = Object.keys(s.getState().session.history.nodes).length;
  let maxGap = 0, last = performance.now(), done = false;
  const tick = (t) => { maxGap = Math.max(maxGap, t - last); last = t; if (!done) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const timer = setTimeout(() => { done = true; resolve({ error: 'no history node after 120 s: ' + s.getState().ui.announce }); }, 120000);
  const t0 = performance.now();
  const unsub = s.subscribe((st) => {
    if (st.busy || Object.keys(st.session.history.nodes).length <= n0) return;
    unsub();
    clearTimeout(timer);
    const t1 = performance.now();
    requestAnimationFrame(() => setTimeout(() => { done = true; resolve({ ms: t1 - t0, paintedMs: performance.now() - t0, maxGap }); }, 0));
  });
  // The concept list is virtualised: 'new part' when its row is rendered, else the top row's concept.
  const b = document.querySelector(${JSON.stringify(`button[aria-label^="${label}"]`)}) ?? document.querySelector(${JSON.stringify(`#concepts button[aria-label^="${label.split(' ')[0]} "]`)});
  if (!b) { done = true; resolve({ error: 'no button ' + ${JSON.stringify(label)} }); } else { window.__tuned = b.getAttribute('aria-label'); b.click(); }
})`;

export async function measureRefit(browser: Browser, page: Page, reps: number): Promise<RefitResult> {
  const t0 = performance.now();
  await page.evaluate('window.__studio.getState().distill()');
  const distillSeconds = (performance.now() - t0) / 1000;
  const shape = (await page.evaluate('(() => { const s = window.__studio.getState(); return [s.dataset.N, s.dataset.M, s.ensemble.members.length]; })()')) as number[];
  const runs: RefitRun[] = [];
  for (let k = 0; k < reps; k++) {
    const op = k % 2 ? 'Downtune' : 'Uptune';
    const { value, events } = await traced(browser, page, () => page.evaluate(TUNE(`${op} new part for ok`)) as Promise<{ ms: number; paintedMs: number; maxGap: number; error?: string }>);
    if (value.error) throw new Error(`refit: ${value.error}`);
    const tuned = (await page.evaluate('window.__tuned')) as string;
    runs.push({ op: tuned, ms: value.ms, paintedMs: value.paintedMs, maxFrameGapMs: value.maxGap, longestTasksMs: longestTasks(mainThread(events), 3) });
    // Back to the distilled student, so every run refits the same problem.
    await page.evaluate("window.__studio.getState().commit({ type: 'undo' })");
    await page.waitForTimeout(300);
  }
  return { N: shape[0], M: shape[1], members: shape[2], distillSeconds, runs };
}
