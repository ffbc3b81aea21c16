/**
 * Tab memory with N images loaded: the renderer process as the OS sees it (/proc: resident set
 * and private memory; the page's workers live in the same process), the JS heap (CDP) and the
 * browser's own per-page estimate (performance.measureUserAgentSpecificMemory, which the page
 * can call because it is cross-origin isolated). Measured after scrolling the whole gallery,
 * so every thumbnail has been shown once.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

export interface MemoryResult {
  what: string;
  /** Renderer process(es) of the page: resident set and private (not shared) memory, MB. */
  rendererRssMB: number;
  rendererPrivateMB: number;
  /** JS heap in use after a forced GC (main thread), MB. */
  jsHeapUsedMB: number;
  /** measureUserAgentSpecificMemory (page + its workers), MB, or null if unavailable. */
  uaMemoryMB: number | null;
  domNodes: number;
  /** Gallery rows shown while scrolling before the measurement. */
  scrolledRows: number;
}

const MB = 1024 * 1024;

function procMemory(pid: number): { rss: number; priv: number } {
  // smaps_rollup: Rss and Private_* in kB (Linux ≥ 4.14).
  const txt = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(txt)?.[1] ?? 0);
  return { rss: (kb('Rss') * 1024) / MB, priv: ((kb('Private_Clean') + kb('Private_Dirty')) * 1024) / MB };
}

/** pids of renderer processes, from the browser's own process list. */
export async function rendererPids(browser: Browser): Promise<number[]> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
    return info.processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
  } finally {
    await cdp.detach();
  }
}

/**
 * Scroll the gallery top to bottom in `steps` evenly spaced jumps (every screen at 10k images
 * would take minutes on a loaded machine), two frames each; returns the gallery rows shown.
 */
async function scrollGallery(page: Page, steps: number): Promise<number> {
  return (await page.evaluate(`(async () => {
    const g = document.querySelector('.gallery');
    const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)));
    const shown = new Set();
    const last = g.scrollHeight - g.clientHeight;
    for (let k = 0; k <= ${steps}; k++) {
      g.scrollTop = Math.round((last * k) / ${steps});
      await frame();
      await frame();
      for (let r = Math.floor(g.scrollTop / 112); r <= Math.floor((g.scrollTop + g.clientHeight) / 112); r++) shown.add(r);
    }
    g.scrollTop = 0;
    await frame();
    return shown.size;
  })()`)) as number;
}

/**
 * Give the synthetic project real thumbnails: the demo's image files, cycled to N, each as its
 * own blob URL (as a project opened from a zip holds them).
 */
export async function useRealThumbnails(page: Page): Promise<number> {
  return (await page.evaluate(`(async () => {
    const csv = await (await fetch('demo/labels.csv')).text();
    const files = csv.trim().split('\\n').slice(1).map((l) => l.split(',')[1]).filter(Boolean);
    const bytes = [];
    for (let k = 0; k < files.length; k += 50) {
      bytes.push(...await Promise.all(files.slice(k, k + 50).map(async (f) => new Uint8Array(await (await fetch('demo/' + f)).arrayBuffer()))));
    }
    const s = window.__studio;
    const ds = s.getState().dataset;
    const thumbs = Array.from({ length: ds.N }, (_, i) => URL.createObjectURL(new Blob([bytes[i % bytes.length].slice()], { type: 'image/jpeg' })));
    s.setState({ dataset: { ...ds, thumbs } });
    return files.length;
  })()`)) as number;
}

/** `others`: renderer pids that existed before the page was opened (not counted). */
export async function measureMemory(browser: Browser, page: Page, what: string, others: number[], steps = 150): Promise<MemoryResult> {
  const scrolledRows = await scrollGallery(page, steps);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const m = Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.map((x) => [x.name, x.value]));
  // Resolves at the browser's next GC; Chromium caps the wait (about 20 s).
  const ua = (await page.evaluate(`Promise.race([
    (self.crossOriginIsolated && performance.measureUserAgentSpecificMemory ? performance.measureUserAgentSpecificMemory().then((r) => r.bytes) : Promise.resolve(null)),
    new Promise((r) => setTimeout(() => r(null), 40000)),
  ])`)) as number | null;
  let rss = 0;
  let priv = 0;
  for (const pid of (await rendererPids(browser)).filter((p) => !others.includes(p))) {
    const p = procMemory(pid);
    rss += p.rss;
    priv += p.priv;
  }
  await cdp.detach();
  return {
    what,
    rendererRssMB: rss,
    rendererPrivateMB: priv,
    jsHeapUsedMB: m.JSHeapUsedSize / MB,
    uaMemoryMB: ua == null ? null : ua / MB,
    domNodes: m.Nodes,
    scrolledRows,
  };
}
