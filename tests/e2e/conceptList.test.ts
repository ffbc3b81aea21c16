/**
 * The Concepts view with a large corpus (600 concepts) in Chromium: the list is virtualised (a
 * few dozen rows in the DOM), yet every concept stays reachable — by search, by Tab from row to
 * row, and by choosing it in the heatmap with the keyboard — with its slider labelled
 * "weight of {concept} for {class}". A refit's result arrives with the worker's live logits,
 * which the page adopts (no recompute on the UI thread) and which equal a recompute there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumAvailable, ROOT, SHOTS, startHarness, type Harness } from '../../tools/e2e/harness.ts';

let h: Harness;
const rowsInDom = (p: Page) => p.locator('#concepts [data-concept]').count();

describe.skipIf(!chromiumAvailable())('virtualised concept list (production build)', () => {
  beforeAll(async () => {
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
  });

  it('600 concepts: few rows rendered, every concept reachable by search, Tab and heatmap keys; axe clean', async () => {
    const p = await h.page({ query: '?synthetic=2000&concepts=600&engine=local' });
    await p.getByRole('slider', { name: /^weight of .* for ok$/ }).first().waitFor();
    expect(await rowsInDom(p)).toBeLessThan(80);
    const order = (await p.evaluate(`(() => {
      const s = window.__studio.getState(), ds = s.dataset, W = s.ensemble.served.W, M = ds.M;
      return ds.concepts.map((_, j) => j).sort((a, b) => Math.abs(W[b]) - Math.abs(W[a])).map((j) => ds.concepts[j]);
    })()`)) as string[];
    expect(order).toHaveLength(600);

    // Search: the last-ranked concept's row appears with its labelled slider.
    const last = order[599];
    await p.getByRole('searchbox', { name: 'Search concepts' }).fill(last);
    await p.getByRole('slider', { name: `weight of ${last} for ok`, exact: true }).waitFor();
    await p.getByRole('searchbox', { name: 'Search concepts' }).fill('');
    await p.waitForFunction(`document.querySelectorAll('#concepts [data-concept]').length > 10`);

    // Tab from the first row's slider goes row by row past the initially rendered ones.
    const first = p.getByRole('slider', { name: `weight of ${order[0]} for ok`, exact: true });
    await first.focus();
    const target = order[60];
    let reached = false;
    for (let k = 0; k < 60 * 6 && !reached; k++) {
      await p.keyboard.press('Tab');
      reached = (await p.evaluate('document.activeElement?.getAttribute("aria-label") ?? ""')) === `weight of ${target} for ok`;
    }
    expect(reached).toBe(true);
    // The focused row stays rendered, inside the list, while the rest scrolls by.
    expect(await p.evaluate(`document.activeElement.closest('#concepts [data-concept]')?.dataset.concept`)).toBe(target);
    expect(await rowsInDom(p)).toBeLessThan(100);

    // Heatmap keyboard: End then Enter selects the last column's concept; its row comes into view.
    await p.getByRole('combobox', { name: 'Sort' }).selectOption('name');
    const byName = [...order].sort((a, b) => a.localeCompare(b));
    const heat = p.getByRole('group', { name: /Weight heatmap/ });
    await heat.focus();
    await p.keyboard.press('End');
    await p.keyboard.press('Enter');
    const chosen = byName[599];
    const slider = p.getByRole('slider', { name: `weight of ${chosen} for ok`, exact: true });
    await slider.waitFor();
    expect(await slider.isVisible()).toBe(true);
    await p.getByRole('region', { name: `Evidence for ${chosen}` }).or(p.getByRole('group', { name: `Evidence for ${chosen}` })).waitFor();
    await p.locator('#concepts').screenshot({ path: `${SHOTS}/concepts-600-heatmap-pick.png` });

    await p.addScriptTag({ content: readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
    const res = (await p.evaluate(`axe.run(document.querySelector('#concepts'), { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length })))`)) as { id: string; impact: string }[];
    expect(res.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await p.context().close();
  }, 240_000);

  it('a refit at 600 concepts in the train worker: the page adopts the worker\'s live logits, equal to a recompute', async () => {
    const p = await h.page({ query: '?synthetic=2000&concepts=600', width: 1280, height: 800 });
    const up = p.locator('#concepts').getByRole('button', { name: /^Uptune .* for ok ×2$/ }).first();
    const label = (await up.getAttribute('aria-label'))!;
    await up.click();
    const concept = label.replace(/^Uptune /, '').replace(/ for ok ×2$/, '');
    await p.getByRole('treeitem', { name: new RegExp(`Uptuned '${concept.replace(/[()]/g, '\\$&')}' for 'ok'`) }).waitFor({ timeout: 120_000 });
    const check = (await p.evaluate(`(() => {
      const s = window.__studio.getState(), ds = s.dataset, live = s.live, M = ds.M, C = ds.C;
      const W = s.ensemble.served.W, b = s.ensemble.served.b;
      let worst = 0, predDiff = 0;
      for (let i = 0; i < ds.N; i++) {
        let best = 0, bv = -Infinity;
        for (let c = 0; c < C; c++) {
          let z = 0;
          for (let j = 0; j < M; j++) z += ds.ahat[i * M + j] * W[c * M + j];
          z += b[c];
          worst = Math.max(worst, Math.abs(z - live.logit(i, c)));
          if (z > bv) { bv = z; best = c; }
        }
        if (best !== live.pred[i]) predDiff++;
      }
      return { adopted: live.adopted, worst, predDiff, rows: document.querySelectorAll('#concepts [data-concept]').length };
    })()`)) as { adopted: boolean; worst: number; predDiff: number; rows: number };
    expect(check.adopted).toBe(true);
    expect(check.worst).toBeLessThan(1e-9);
    expect(check.predDiff).toBe(0);
    expect(check.rows).toBeLessThan(80);
    await p.screenshot({ path: `${SHOTS}/concepts-600-after-refit-1280x800.png` });
    await p.context().close();
  }, 240_000);
});
