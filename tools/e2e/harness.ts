/**
 * Browser harness for the studio's end-to-end tests: build the production bundle once, serve
 * dist/ with `vite preview` on a free port, and drive Debian's Chromium through playwright-core.
 */
import { build, preview, type PreviewServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer } from 'node:net';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHOTS = resolve(ROOT, 'artifacts/screenshots');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

/** Modification time of the newest file the bundle is built from (src/, public/, index.html, configs). */
function newestSource(): number {
  const walk = (p: string): number => {
    if (!existsSync(p)) return 0;
    const st = statSync(p);
    if (!st.isDirectory()) return st.mtimeMs;
    return readdirSync(p).reduce((m, n) => Math.max(m, walk(resolve(p, n))), st.mtimeMs);
  };
  return Math.max(...['src', 'public', 'index.html', 'vite.config.ts', 'package-lock.json'].map((f) => walk(resolve(ROOT, f))));
}

export interface Harness {
  url: string;
  browser: Browser;
  close(): Promise<void>;
  page(opts?: { width?: number; height?: number; query?: string }): Promise<Page>;
}

/**
 * Each process builds into its own folder: a test run, a benchmark and a developer's `vite build`
 * can then never serve each other half-written bundles. `skipBuild` serves the developer's dist/.
 */
export async function startHarness(opts: { skipBuild?: boolean } = {}): Promise<Harness> {
  // E2E_DIST=folder serves a bundle built earlier (e.g. benchmarks comparing a before and an after build in one sitting).
  const given = process.env.E2E_DIST ? resolve(ROOT, process.env.E2E_DIST) : null;
  if (given) opts = { ...opts, skipBuild: true };
  const OUT_DIR = given ?? (opts.skipBuild ? resolve(ROOT, 'dist') : resolve(ROOT, `node_modules/.cache/e2e-dist-${process.pid}`));
  const configFile = resolve(ROOT, 'vite.config.ts');
  // dist/ older than the source would measure yesterday's app: rebuild it (a benchmark in session 3
  // reported refit hitches of a build made before the concept list was virtualised).
  const stale = opts.skipBuild && !given && existsSync(resolve(OUT_DIR, 'index.html')) && newestSource() > statSync(resolve(OUT_DIR, 'index.html')).mtimeMs;
  if (stale) console.warn(`[harness] ${OUT_DIR} is older than the source: rebuilding it`);
  if (!opts.skipBuild || stale || !existsSync(resolve(OUT_DIR, 'index.html'))) {
    // E2E_NO_MINIFY=1 keeps function names readable in CPU profiles (tools/e2e/perfProbe.ts --profile).
    const minify = process.env.E2E_NO_MINIFY ? false : undefined;
    await build({ root: ROOT, logLevel: 'warn', configFile, build: { outDir: OUT_DIR, emptyOutDir: true, ...(minify === false ? { minify } : {}) } });
  }
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: ROOT,
    configFile,
    logLevel: 'warn',
    build: { outDir: OUT_DIR },
    preview: { port, strictPort: true, host: '127.0.0.1', open: false },
  });
  const url = `http://127.0.0.1:${port}/`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(SHOTS, { recursive: true });
  return {
    url,
    browser,
    async page({ width = 1440, height = 900, query = '' } = {}) {
      // bypassCSP: Playwright evaluates string predicates (waitForFunction('…')) with eval, which the
      // served CSP forbids; tests/e2e/csp.test.ts checks the page under the real policy.
      const ctx = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, bypassCSP: true });
      const p = await ctx.newPage();
      p.on('pageerror', (e) => console.error('[page error]', e.message));
      await p.goto(url + query);
      await p.getByRole('heading', { name: 'History', exact: true }).waitFor();
      return p;
    },
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.httpServer.close(() => r()));
      if (!opts.skipBuild) rmSync(OUT_DIR, { recursive: true, force: true });
    },
  };
}
