/**
 * Domain calibration and the shift simulator in the studio (real Chromium, production build, the
 * demo project): "Find conditions" embeds the condition prompts in the embed worker, the image
 * detail shows the posterior chip and its click filters the gallery, choosing source statistics
 * is one recorded History step whose export carries the domain block (check block verified in
 * Node), and a small simulator run (2 corruptions × 2 severities × 30 images) draws its chart.
 * Screenshots: artifacts/screenshots/shift-1440x900.png, shift-1280x800.png, shift-panel.png,
 * shift-chip.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumAvailable, ROOT, SHOTS, startHarness, type Harness } from '../../tools/e2e/harness.ts';
import { parseStudentExport } from '../../src/core/schema/parse.ts';

let h: Harness;
const state = (p: Page, expr: string) => p.evaluate(`(() => { const s = window.__studio.getState(); return ${expr}; })()`);

describe.skipIf(!chromiumAvailable())('domain calibration and shift simulator (demo, production build)', () => {
  beforeAll(async () => {
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
  });

  it('finds conditions, records the calibration mode, exports the domain block and runs the simulator', async () => {
    const p = await h.page({ width: 1440, height: 900 });
    await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
    const section = p.locator('.domain-section');
    await section.scrollIntoViewIfNeeded();
    await expect(section.getByLabel('Condition prompts (one per line)').inputValue()).resolves.toBe(
      'a photo in bright light\na photo in dim light\na photo in haze\na photo with glare',
    );
    const steps0 = (await state(p, 'Object.keys(s.session.history.nodes).length')) as number;
    await section.getByRole('button', { name: 'Find conditions' }).click();
    await section.getByTestId('domain-table').waitFor({ timeout: 120_000 });
    expect(await section.getByTestId('domain-table').locator('tbody tr').count()).toBe(4);
    expect(await state(p, 's.session.state.calibration.domain.mode')).toBe('off');
    expect(await state(p, 'Object.keys(s.session.history.nodes).length')).toBe(steps0 + 1);

    // Mode: source statistics = one recorded calibration change; predictions follow.
    const accOff = (await state(p, 's.metrics.accuracy')) as number;
    await section.getByRole('radio', { name: /source statistics/ }).check();
    await p.waitForFunction('window.__studio.getState().session.state.calibration.domain.mode === "source"', null, { timeout: 20_000 });
    expect(await state(p, 'Object.keys(s.session.history.nodes).length')).toBe(steps0 + 2);
    expect(await state(p, 's.session.history.nodes[s.session.history.head].label')).toBe("Set domain calibration to 'source'");
    expect(await state(p, 's.session.history.nodes[s.session.history.head].action')).toBe('calibrationChange');
    expect((await state(p, 's.metrics.accuracy')) as number).toBeGreaterThanOrEqual(accOff);
    // The provenance tree shows the new node.
    await expect(p.getByRole('treeitem', { name: /domain calibration to 'source'/ }).count()).resolves.toBeGreaterThan(0);

    await section.getByText('Concept statistics per condition').click();
    await section.getByTestId('domain-stats').waitFor();
    expect(await section.getByTestId('domain-stats').locator('tbody tr').count()).toBe(5);
    await section.screenshot({ path: `${SHOTS}/shift-domain.png` });

    // Export: the domain block with mode and four conditions; the import's own check verifies it.
    const [dl] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export student JSON' }).click()]);
    const text = readFileSync((await dl.path())!, 'utf8');
    const doc = JSON.parse(text);
    expect(doc.domain.mode).toBe('source');
    expect(doc.domain.temperature).toBe(0.01);
    expect(doc.domain.domains.map((d: { prompt: string }) => d.prompt)).toEqual(['a photo in bright light', 'a photo in dim light', 'a photo in haze', 'a photo with glare']);
    expect(doc.domain.domains[0].mu).toHaveLength(doc.concepts.length);
    const parsed = parseStudentExport(text);
    expect('error' in parsed ? parsed.error : 'ok').toBe('ok');

    // Image detail: the posterior chip; clicking it filters the gallery by that condition.
    await p.locator('#images .tile').first().click();
    const chip = p.getByTestId('domain-chip');
    await chip.waitFor();
    await expect(chip.textContent()).resolves.toMatch(/a photo (in|with) .+ · \d+ %/);
    await p.locator('.image-detail').screenshot({ path: `${SHOTS}/shift-chip.png` });
    await chip.click();
    expect(await state(p, 's.ui.filter.kind')).toBe('domain');
    await expect(p.getByLabel('Image filter').inputValue()).resolves.toMatch(/^domain:\d$/);

    // A small simulator run: darken and haze at severities 1 and 4 on 30 held-out images.
    const sim = p.locator('.shift-sim');
    await sim.scrollIntoViewIfNeeded();
    for (const k of ['low contrast', 'sensor noise', 'JPEG compression']) await sim.getByRole('checkbox', { name: k }).uncheck();
    for (const v of [2, 3, 5]) await sim.getByRole('checkbox', { name: `severity ${v}` }).uncheck();
    await sim.getByLabel('Held-out images').fill('30');
    await sim.getByRole('button', { name: 'Run simulator' }).click();
    await sim.getByTestId('shift-chart').waitFor({ timeout: 240_000 });
    const panels = sim.getByTestId('shift-chart').locator('figure');
    expect(await panels.count()).toBe(2);
    // Three lines per panel (off, source, test-time: 30 images are enough for test-time), 3 points each (clean, 1, 4).
    expect(await panels.first().locator('path').count()).toBe(3);
    expect(await panels.first().locator('circle').count()).toBe(9);
    const rows = sim.getByTestId('shift-table').locator('tbody tr');
    expect(await rows.count()).toBe(5);
    await expect(rows.nth(2).locator('th').textContent()).resolves.toBe('darker 4');
    // Accuracy off / source / test-time (30 images: enough for test-time statistics).
    const cells = await rows.nth(2).locator('td').allTextContents();
    expect(cells).toHaveLength(3);
    for (const c of cells) expect(c).toMatch(/^\d+\.\d$/);
    // Both OOD numbers (the demo records its OOD flag at load): the summary line, and the flagged view of chart and table.
    await expect(sim.getByTestId('shift-flagged').textContent()).resolves.toMatch(/off \d+\.\d %,\s*source \d+\.\d %, test-time \d+\.\d %/);
    await sim.getByRole('radio', { name: 'flagged as unfamiliar' }).check();
    await expect(sim.getByTestId('shift-table').locator('caption').textContent()).resolves.toMatch(/^Flagged as unfamiliar/);
    for (const c of await rows.nth(2).locator('td').allTextContents()) expect(c).toMatch(/^\d+\.\d$/);
    await sim.getByRole('radio', { name: 'accuracy' }).check();
    await sim.screenshot({ path: `${SHOTS}/shift-panel.png` });
    await p.screenshot({ path: `${SHOTS}/shift-1440x900.png` });
    await p.setViewportSize({ width: 1280, height: 800 });
    await sim.scrollIntoViewIfNeeded();
    await p.waitForTimeout(300);
    await p.screenshot({ path: `${SHOTS}/shift-1280x800.png` });

    // Accessibility of the new sections (axe, serious/critical only).
    await p.addScriptTag({ content: readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
    const res = await p.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const r = await axe.run(['.domain-section', '.shift-sim'].map((s) => document.querySelector(s)).filter(Boolean), { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, first: v.nodes[0]?.target }));
    });
    const serious = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, JSON.stringify(serious)).toEqual([]);
    await p.context().close();
  }, 600_000);
});
