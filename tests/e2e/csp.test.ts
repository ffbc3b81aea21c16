/**
 * The production build under its Content-Security-Policy (tools/vite/csp.ts, served by vite
 * preview exactly as README "Serving the built app" tells a real server to): the studio loads,
 * the demo opens and distils (workers, WebAssembly, blob: thumbnails), and the browser reports
 * not a single CSP violation — neither as a securitypolicyviolation event nor on the console.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, startHarness, type Harness } from '../../tools/e2e/harness.ts';
import { contentSecurityPolicy } from '../../tools/vite/csp.ts';

let h: Harness;

describe.skipIf(!chromiumAvailable())('Content-Security-Policy (production build)', () => {
  beforeAll(async () => {
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
  });

  it('serves the CSP and isolation headers, and the demo opens and distils with zero violations', async () => {
    const res = await fetch(h.url);
    expect(res.headers.get('content-security-policy')).toBe(contentSecurityPolicy());
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    // The build also carries the policy as a <meta> fallback (minus frame-ancestors).
    const html = (await res.text()).replace(/&#39;/g, "'");
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy().replace(/; frame-ancestors 'none'/, '')}">`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'/);

    const ctx = await h.browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Violations in workers are reported to the page too (the worker's global gets the event, and
    // Chromium logs every violation to the page's console): collect both.
    await ctx.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`));
    });
    const p = await ctx.newPage();
    const consoleViolations: string[] = [];
    p.on('console', (m) => {
      if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) consoleViolations.push(m.text());
    });
    const pageErrors: string[] = [];
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await p.goto(h.url);
    await p.getByRole('heading', { name: 'History', exact: true }).waitFor();
    // Function predicates, not strings: Playwright evals strings, which this very CSP forbids.
    type W = { __demoFirstScreenMs?: number; __studio: { getState(): { dataset?: { N: number; source: { kind: string } }; ensemble?: { served?: unknown } } } };
    await p.waitForFunction(() => ((window as unknown as W).__demoFirstScreenMs ?? 0) > 0, null, { timeout: 120_000 });
    await p.waitForFunction(() => {
      const s = (window as unknown as W).__studio.getState();
      return s.dataset?.source.kind === 'demo' && s.ensemble?.served != null;
    }, null, { timeout: 120_000 });
    expect(await p.evaluate(() => (window as unknown as W).__studio.getState().dataset?.N)).toBe(1470);
    // Open the Images view so blob:/same-origin thumbnails are actually drawn.
    await p.getByRole('tab', { name: 'Images' }).or(p.getByRole('button', { name: 'Images', exact: true })).first().click().catch(() => undefined);
    await p.waitForTimeout(1000);
    const violations = await p.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    expect(violations).toEqual([]);
    expect(consoleViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
    await ctx.close();
  }, 240_000);
});
