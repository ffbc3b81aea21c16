/**
 * The onnxruntime-web student kernel in a real Chromium worker: `npx tsx tools/bench/studentBrowser.ts
 * [--json] [--N 10000] [--M 600] [--members 20] [--threads 2] [--ep wasm|webgpu]`.
 *
 * Serves tools/bench/studentWeb/ with the project's Vite config (COOP/COEP, so wasm threads
 * work), loads it in Debian's Chromium via playwright-core, and prints what the worker reports:
 * agreement with the JS kernel (gradients, losses) and timings of a fit and an ensemble.
 * Exit code 1 if the kernels disagree.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer } from 'vite';
import { chromium } from 'playwright-core';
import type { WebBenchReport, WebBenchRequest } from './studentWeb/worker.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const json = args.includes('--json');
const ep = args.indexOf('--ep');
const req: WebBenchRequest = {
  N: arg('N', 10_000),
  M: arg('M', 600),
  C: arg('C', 10),
  members: arg('members', 20),
  numThreads: arg('threads', 2),
  executionProviders: ep >= 0 ? args[ep + 1].split(',') : ['wasm'],
};

async function main(): Promise<number> {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)\n`);
    return 2;
  }
  const server = await createServer({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'error',
    clearScreen: false,
    optimizeDeps: { entries: ['tools/bench/studentWeb/index.html', 'tools/bench/studentWeb/worker.ts'] },
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless=new', '--no-sandbox', '--disable-quic', '--no-first-run', '--enable-unsafe-webgpu'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(new URL('tools/bench/studentWeb/index.html', server.resolvedUrls!.local[0]).href);
    await page.waitForFunction(() => typeof window.runStudentBench === 'function');
    const r: WebBenchReport = await page.evaluate((q) => window.runStudentBench(q), req);
    const ok = r.maxGradDiff <= 1e-5 * r.gradScale && r.maxLossRelDiff <= 1e-5;
    if (json) process.stdout.write(JSON.stringify({ bench: 'student-browser', request: req, ...r, agrees: ok }) + '\n');
    else {
      const s = (v: number) => v.toFixed(3);
      process.stdout.write(
        [
          `Chromium worker, onnxruntime-web (asyncify build, EP ${req.executionProviders!.join(',')}), N=${req.N} M=${req.M} C=${req.C}, threads ${req.numThreads}, crossOriginIsolated ${r.crossOriginIsolated}`,
          `kernel setup ${s(r.setupSeconds)} s; vs JS kernel: max |Δgrad| ${r.maxGradDiff.toExponential(2)} (scale ${r.gradScale.toExponential(2)}), max loss rel diff ${r.maxLossRelDiff.toExponential(2)} → ${ok ? 'agree' : 'DISAGREE'}`,
          `fwd+bwd per iteration: JS ${r.iterationMs.js.toFixed(1)} ms, ort-web ${r.iterationMs.ortWeb.toFixed(1)} ms (1 model), ${r.iterationMs.ortWebMembers.toFixed(1)} ms (${req.members} members)`,
          `one member: ${s(r.oneMember.seconds)} s, ${r.oneMember.iterations} it, objective ${r.oneMember.objective.toFixed(6)} (JS kernel ${r.oneMember.jsObjective.toFixed(6)})`,
          `${req.members}-member ensemble: ${s(r.ensemble.seconds)} s (full ${r.ensemble.fullIterations} it, members ${r.ensemble.memberIterations} it)`,
        ].join('\n') + '\n',
      );
    }
    if (errors.length) process.stderr.write(`page errors:\n${errors.join('\n')}\n`);
    return ok ? 0 : 1;
  } finally {
    await browser.close();
    await server.close();
  }
}

process.exitCode = await main();
