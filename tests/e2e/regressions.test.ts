/**
 * Regressions found in earlier sessions, in real Chromium on the production build.
 *
 * The demo project loads for seconds while the studio stays usable (the demo cache is held back
 * here, so the window is as wide as a slow disk or network makes it):
 * - choosing a teacher source meanwhile keeps the choice, and the demo still opens;
 * - opening the synthetic project meanwhile keeps it open: the demo arriving later never
 *   replaces it, and the Project view says so and how to open the demo.
 * Screenshots: artifacts/screenshots/regressions-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumAvailable, SHOTS, startHarness, type Harness } from '../../tools/e2e/harness.ts';

let h: Harness;

const state = (p: Page, expr: string) => p.evaluate(`(() => { const s = window.__studio.getState(); return ${expr}; })()`);
const demoPhase = (p: Page) => p.evaluate('window.__demo ? window.__demo.getState().phase : null') as Promise<string | null>;

/** A fresh page whose demo cache requests wait until `release()` is called. */
async function pageWithHeldDemo(width = 1440, height = 900): Promise<{ p: Page; release: () => void }> {
  const ctx = await h.browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, bypassCSP: true });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await ctx.route('**/demo/cache/**', async (route) => {
    await held;
    await route.continue();
  });
  const p = await ctx.newPage();
  p.on('pageerror', (e) => console.error('[page error]', e.message));
  await p.goto(h.url);
  await p.getByRole('heading', { name: 'History', exact: true }).waitFor();
  await p.waitForFunction('window.__demo && window.__demo.getState().phase === "loading"', null, { timeout: 60_000 });
  return { p, release };
}

describe.skipIf(!chromiumAvailable())('regressions (production build)', () => {
  beforeAll(async () => {
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a teacher source chosen while the demo loads is kept, and the demo opens', async () => {
    const { p, release } = await pageWithHeldDemo();
    const project = p.locator('#project');
    await project.locator('summary', { hasText: 'Teacher' }).click();
    const source = project.getByRole('combobox', { name: 'Source' });
    for (const v of ['labels', 'http', 'file', 'zero-shot']) await source.selectOption(v);
    expect(await demoPhase(p)).toBe('loading');
    expect(await state(p, 's.dataset')).toBeNull();
    release();
    await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
    expect(await state(p, 's.dataset.source.kind')).toBe('demo');
    expect(await state(p, 's.dataset.N')).toBe(1470);
    expect(await state(p, 's.ui.teacherChoice')).toBe('zero-shot');
    await expect.poll(() => source.inputValue()).toBe('zero-shot');
    await p.screenshot({ path: resolve(SHOTS, 'regressions-teacher-during-load.png') });
    await p.context().close();
  }, 240_000);

  it('a project opened while the demo loads stays open, and the studio says the demo was not opened over it', async () => {
    const { p, release } = await pageWithHeldDemo(1280, 800);
    await p.locator('#project').getByRole('button', { name: 'Synthetic project', exact: true }).click();
    await p.waitForFunction('window.__studio.getState().dataset?.source.kind === "synthetic"');
    const before = await state(p, 's.session.history.rootId');
    release();
    await p.waitForFunction('window.__demo.getState().phase !== "loading"', null, { timeout: 120_000 });
    expect(await demoPhase(p)).toBe('idle');
    expect(await state(p, 's.dataset.source.kind')).toBe('synthetic');
    expect(await state(p, 's.session.history.rootId')).toBe(before);
    const note = p.getByTestId('demo-section');
    await expect.poll(() => note.innerText()).toMatch(/The demo project finished loading after you opened “[^”]+”, so “[^”]+” stays open\. To open the demo, use the “Demo project” button below\./);
    await p.screenshot({ path: resolve(SHOTS, 'regressions-project-during-load.png') });
    // The way back: the demo opens on request.
    await p.locator('#project').getByRole('button', { name: 'Demo project', exact: true }).click();
    await p.waitForFunction('window.__studio.getState().dataset?.source.kind === "demo"', null, { timeout: 120_000 });
    await p.context().close();
  }, 240_000);
});
