/**
 * First screen of the demo project: time from navigation start (the page load) until the
 * studio shows the demo with its distilled student (the Fidelity figure), for a fresh visitor
 * (new browser context: no saved project, empty HTTP cache). Marks on the way: the app shell
 * (the History heading) and the demo's images and concepts (before the student).
 */
import type { Browser } from 'playwright-core';

export interface FirstScreen {
  server: string;
  /** ms after navigation start. */
  shellMs: number;
  dataMs: number;
  studentMs: number;
  /** The first gallery thumbnail has loaded. */
  thumbMs: number;
}

/** Polled every frame in the page; records when each mark first became true. */
const WATCH = `new Promise((resolve) => {
  const marks = {};
  const t = () => performance.now();
  const tick = () => {
    const s = window.__studio?.getState();
    if (marks.shellMs == null && [...document.querySelectorAll('h2')].some((h) => h.textContent === 'History')) marks.shellMs = t();
    if (marks.dataMs == null && s?.dataset?.source.kind === 'demo') marks.dataMs = t();
    if (marks.studentMs == null && s?.dataset?.source.kind === 'demo' && s.metrics && /%/.test(document.querySelector('[data-testid=kpi-fidelity] .v')?.textContent ?? '')) marks.studentMs = t();
    if (marks.thumbMs == null && s?.dataset?.thumbs) {
      const tile = document.querySelector('.gallery .thumb');
      const url = tile && getComputedStyle(tile).backgroundImage.match(/url\\("?(.*?)"?\\)/)?.[1];
      if (url && (!/^https?:/.test(url) || performance.getEntriesByName(url).length)) marks.thumbMs = t();
    }
    if (marks.studentMs != null && marks.thumbMs != null) resolve(marks);
    else if (t() > 120000) resolve({ ...marks, error: 'the demo did not open within 120 s: ' + (s?.ui.announce ?? '') });
    else requestAnimationFrame(tick);
  };
  tick();
})`;

export async function measureFirstScreen(browser: Browser, url: string, server: string): Promise<FirstScreen> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, bypassCSP: true });
  try {
    const p = await ctx.newPage();
    p.on('pageerror', (e) => console.error('[page error]', e.message));
    // Registered before the page's own scripts run, so it also sees the shell appear.
    await p.addInitScript(`window.__firstScreen = ${WATCH};`);
    await p.goto(url + '?demo', { waitUntil: 'commit' });
    const m = (await p.evaluate('window.__firstScreen')) as Omit<FirstScreen, 'server'> & { error?: string };
    if (m.error) throw new Error(m.error);
    return { server, ...m };
  } finally {
    await ctx.close();
  }
}
