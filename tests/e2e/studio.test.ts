/**
 * The studio in a real Chromium against the production build (vite build + vite preview):
 * six headed views on one screen, live sliders (one history node per drag), undo/redo, restore,
 * virtualised gallery, accessibility (axe), reload persistence, student export and import.
 * Screenshots of every view go to artifacts/screenshots/. Slider speed is measured by
 * `npm run bench:ui`, not here: timed tests are not how this project meets speed targets.
 *
 * Each case gets 120 s: the 30 s default is a hang detector for unit tests, and these cases load
 * 2,000–10,000-image projects in a real browser (the image-detail case took 42 s on a loaded machine).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { parseStudentExport } from '../../src/core/schema/parse.ts';
import { chromiumAvailable, ROOT, SHOTS, startHarness, type Harness } from '../../tools/e2e/harness.ts';
import { readmePredictor } from '../../tools/fixtures/readmePredictor.ts';

const VIEWS = ['Project', 'Performance', 'Concepts', 'Images', 'Compare', 'History'];
let h: Harness;

async function historySteps(p: Page): Promise<number> {
  return p.evaluate('Object.keys(window.__studio.getState().session.history.nodes).length') as Promise<number>;
}

describe.skipIf(!chromiumAvailable())('studio in Chromium (production build)', () => {
  beforeAll(async () => {
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
  });

  it('shows the six headed views together at 1440×900 and 1280×800, and screenshots each', async () => {
    for (const [w, hh] of [[1440, 900], [1280, 800]] as const) {
      const p = await h.page({ width: w, height: hh, query: '?synthetic=2000' });
      const boxes = [];
      for (const name of VIEWS) {
        const head = p.getByRole('heading', { name, exact: true, level: 2 });
        await expect(head.isVisible()).resolves.toBe(true);
        const box = (await p.locator(`section[aria-labelledby="${name.toLowerCase()}-h"]`).boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.y + 40).toBeLessThanOrEqual(hh);
        expect(box.x + box.width).toBeLessThanOrEqual(w + 1);
        expect(box.y + box.height).toBeLessThanOrEqual(hh + 1);
        expect(box.height).toBeGreaterThan(150);
        boxes.push(box);
      }
      // No two views overlap.
      for (let a = 0; a < boxes.length; a++) for (let b = a + 1; b < boxes.length; b++) {
        const A = boxes[a], B = boxes[b];
        const overlap = A.x < B.x + B.width - 1 && B.x < A.x + A.width - 1 && A.y < B.y + B.height - 1 && B.y < A.y + A.height - 1;
        expect(overlap, `${VIEWS[a]} overlaps ${VIEWS[b]}`).toBe(false);
      }
      await p.screenshot({ path: `${SHOTS}/studio-${w}x${hh}.png` });
      if (w === 1440) {
        for (const name of VIEWS) await p.locator(`#${name.toLowerCase()}`).screenshot({ path: `${SHOTS}/view-${name.toLowerCase()}.png` });
      }
      await p.context().close();
    }
  }, 120_000);

  it('slider drag on 10,000 images updates metrics and gallery live and records ONE history node', async () => {
    const p = await h.page({ query: '?synthetic=10000&engine=local' });
    const before = await historySteps(p);
    const fid0 = await p.getByTestId('kpi-fidelity').innerText();
    await p.getByRole('combobox', { name: 'Image filter' }).selectOption('misaligned');
    const count0 = await p.locator('#images-h').locator('..').innerText();
    const slider = p.getByRole('slider', { name: 'weight of new part for ok' });
    const box = (await slider.boundingBox())!;
    const y = box.y + box.height / 2;
    await p.mouse.move(box.x + box.width * 0.8, y);
    await p.mouse.down();
    for (let k = 0; k < 30; k++) {
      await p.mouse.move(box.x + box.width * (0.8 - (k * 0.7) / 30), y);
      await p.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))');
    }
    // Mid-drag: metrics and the misaligned gallery have already moved.
    expect(await p.getByTestId('kpi-fidelity').innerText()).not.toBe(fid0);
    expect(await p.locator('#images-h').locator('..').innerText()).not.toBe(count0);
    await p.mouse.up();
    await p.waitForTimeout(300);
    expect(await historySteps(p)).toBe(before + 1);
    expect(await p.locator('.tile').count()).toBeLessThan(200);
    await p.getByRole('treeitem', { name: /Set 'new part' for 'ok' to/ }).waitFor();
    await p.screenshot({ path: `${SHOTS}/studio-10k-after-drag.png` });
    await p.context().close();
  }, 120_000);

  it('undo/redo by buttons and keys (not in text fields), restore makes a new node, gallery arrows', async () => {
    const p = await h.page({ query: '?synthetic=2000&engine=local' });
    const slider = p.getByRole('slider', { name: 'weight of rust for ok' });
    await slider.focus();
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowRight');
    await p.waitForTimeout(100);
    expect(await historySteps(p)).toBe(2);
    await p.getByRole('searchbox', { name: 'Search concepts' }).focus();
    await p.keyboard.press('Control+z');
    expect(await p.getByRole('button', { name: /Redo/ }).first().isDisabled()).toBe(true);
    await p.locator('body').click({ position: { x: 700, y: 5 } });
    await p.keyboard.press('Control+z');
    expect(await p.getByRole('button', { name: /Redo/ }).first().isDisabled()).toBe(false);
    await p.keyboard.press('Control+Shift+Z');
    expect(await p.getByRole('button', { name: /Redo/ }).first().isDisabled()).toBe(true);
    await p.getByRole('button', { name: /Undo/ }).first().click();
    // Restore the edit node from the tree: a new node, nothing lost.
    await p.getByRole('treeitem', { name: /Set 'rust' for 'ok'/ }).click();
    await p.getByRole('button', { name: 'Restore this step' }).click();
    expect(await historySteps(p)).toBe(3);
    await p.getByRole('treeitem', { name: /Restored/ }).waitFor();
    // Gallery keyboard: focus the listbox, arrows move the selection.
    const gallery = p.getByRole('listbox', { name: /Images/ });
    await gallery.focus();
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowRight');
    await p.keyboard.press('ArrowDown');
    const sel = await p.locator('[role=option][aria-selected=true]').getAttribute('id');
    expect(sel).toMatch(/^img-\d+$/);
    await p.getByRole('region', { name: /Details of/ }).waitFor();
    // Confusion cell filters the gallery.
    await p.getByRole('button', { name: /^teacher rusty, student rusty/ }).click();
    await expect(p.locator('.chip').innerText()).resolves.toContain('teacher rusty, student rusty');
    await p.screenshot({ path: `${SHOTS}/studio-interacted.png` });
    await p.context().close();
  }, 120_000);

  it('tune refits (in the worker) and records a node; compare proposes a step', async () => {
    const p = await h.page({ query: '?synthetic=2000' });
    await p.getByRole('button', { name: 'Uptune rust for ok ×2' }).click();
    await p.getByRole('treeitem', { name: /Uptuned 'rust' for 'ok'/ }).waitFor({ timeout: 60_000 });
    await p.getByRole('button', { name: /Turn top difference/ }).click();
    await p.getByRole('group', { name: 'Proposed tuning step' }).waitFor();
    await p.locator('#compare').screenshot({ path: `${SHOTS}/view-compare-proposal.png` });
    await p.getByRole('button', { name: 'Confirm and refit' }).click();
    await p.waitForFunction('Object.keys(window.__studio.getState().session.history.nodes).length === 3', null, { timeout: 60_000 });
    await p.locator('#history').screenshot({ path: `${SHOTS}/view-history-after-tune.png` });
    await p.context().close();
  }, 120_000);

  it('has no serious or critical axe violations and a polite live region', async () => {
    const p = await h.page({ query: '?synthetic=2000' });
    await p.getByRole('button', { name: /rust/ }).first().click(); // open evidence too
    await p.addScriptTag({ content: readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
    const res = await p.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length, first: v.nodes[0]?.target }));
    });
    writeFileSync(resolve(ROOT, 'artifacts/axe.json'), JSON.stringify(res, null, 1));
    const serious = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, JSON.stringify(serious)).toEqual([]);
    expect(await p.locator('[aria-live=polite]').count()).toBeGreaterThan(0);
    await p.context().close();
  }, 120_000);

  it('restores the session after a reload and exports the student JSON', async () => {
    const p = await h.page({ query: '?synthetic=2000&engine=local' });
    const slider = p.getByRole('slider', { name: 'weight of rust for ok' });
    await slider.focus();
    await p.keyboard.press('ArrowLeft');
    await p.waitForTimeout(1200); // autosave is debounced
    const steps = await historySteps(p);
    await p.goto(h.url + '?engine=local');
    await p.getByRole('heading', { name: 'History', exact: true }).waitFor();
    expect(await historySteps(p)).toBe(steps);
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export student JSON' }).click()]);
    const text = readFileSync((await download.path())!, 'utf8');
    // The file the studio wrote is one core/schema reads back (check block verified).
    const parsed = parseStudentExport(text);
    if (!parsed.ok) throw new Error(parsed.error);
    const doc = parsed.value;
    expect(doc.version).toBe(1);
    expect(doc.student.W.length).toBe(doc.classes.length * doc.concepts.length);
    expect(doc.provenance.nodes.length).toBe(steps);
    expect(doc.training?.heldOutFraction).toBe(0.2);
    // A bad student file: its specific message is shown and nothing changes.
    const fid = await p.getByTestId('kpi-fidelity').innerText();
    const cut = text.slice(0, 500);
    await p.getByLabel('Import student JSON').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(cut) });
    const alert = p.getByTestId('student-file-error');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('broken.json: the file is truncated');
    expect(await historySteps(p)).toBe(steps);
    expect(await p.getByTestId('kpi-fidelity').innerText()).toBe(fid);
    await p.screenshot({ path: `${SHOTS}/studio-import-error.png` });
    // The good file imports as one recorded step.
    await p.getByLabel('Import student JSON').setInputFiles({ name: 'student.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    await p.getByRole('treeitem', { name: /Imported the student file 'student.json'/ }).waitFor();
    expect(await historySteps(p)).toBe(steps + 1);
    expect(await alert.count()).toBe(0);
    await p.context().close();
  }, 120_000);

  it("the README's reference predictor agrees with the exported student: its check block and the studio's own held-out predictions", async () => {
    const p = await h.page({ query: '?fresh&engine=local' });
    // Tune first (a drag), so the export is a tuned student, not the loaded one. The concept
    // list is virtualised: search brings the row into the page wherever it ranks.
    await p.getByRole('searchbox', { name: 'Search concepts' }).fill('rust');
    const slider = p.getByRole('slider', { name: 'weight of rust for ok' });
    const box = (await slider.boundingBox())!;
    await p.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await p.mouse.down();
    await p.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2, { steps: 5 });
    await p.mouse.up();
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export student JSON' }).click()]);
    const doc = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    const ref = readmePredictor();
    const checked = ref.check(doc);
    expect(checked.failures).toEqual([]);
    expect(checked.checked).toBeGreaterThanOrEqual(4);
    // The studio's own predictions for held-out images beyond the check block, including
    // images where student and teacher disagree: raw activations in, same class out.
    const rows = (await p.evaluate(`(() => {
      const s = window.__studio.getState();
      const ds = s.dataset, M = ds.M, held = Array.from(ds.split.heldOut);
      const mis = held.filter((i) => s.live.pred[i] !== ds.teacherPred[i]).slice(0, 4);
      const pick = [...new Set([...held.slice(10, 16), ...mis])];
      // The file's input per image: its region embeddings when the project has them (the demo's CLIP), else raw activations.
      const e = s.session.state.conceptText && ds.imageEmbeddings, K = e ? e.R * e.D : M;
      const src = e ? e.data : ds.raw.data;
      return pick.map((i) => ({ i, x: Array.from(src.subarray(i * K, (i + 1) * K)), pred: s.live.pred[i] }));
    })()`)) as { i: number; x: number[]; pred: number }[];
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const r of rows) expect({ image: r.i, prediction: ref.predict(doc, r.x).prediction }).toEqual({ image: r.i, prediction: r.pred });
    await p.context().close();
  }, 120_000);

  it('image detail shows the regions the model sees; pad-to-square is a saved setting; apply-to-folder explains; project zip round-trips and refuses a bad one', async () => {
    const p = await h.page({ query: '?fresh&engine=local' });
    await p.getByRole('listbox', { name: /Images/ }).focus();
    await p.keyboard.press('ArrowRight');
    const fig = p.locator('.model-note');
    await p.getByRole('figure', { name: /What the model sees/ }).waitFor();
    expect(await p.getByTestId('model-view-summary').innerText()).toMatch(/centre crop keeps all of it|Centre crop: the model sees the outlined square/);
    const grid = (await p.evaluate('window.__studio.getState().dataset.regionGrid')) as number;
    // Crop outline (two strokes) plus one box per grid cell.
    expect(await p.getByTestId('model-view-overlay').locator('rect').count()).toBe(2 + (grid > 1 ? grid * grid : 0));
    await p.locator('#images').screenshot({ path: `${SHOTS}/view-images-model-view.png` });
    await fig.getByRole('checkbox').check();
    expect(await p.getByTestId('model-view-summary').innerText()).toMatch(/Padded to a square/);
    expect(await p.evaluate('window.__studio.getState().settings.padToSquare')).toBe(true);
    // Apply to a folder: a project without an image model says so; the demo (its own CLIP) scores
    // the folder and lists the unreadable file.
    const folder = mkdtempSync(resolve(tmpdir(), 'apply-'));
    writeFileSync(resolve(folder, 'x.png'), Buffer.from([137, 80, 78, 71]));
    const predictions = p.waitForEvent('download', { timeout: 60_000 }).catch(() => null);
    await p.getByLabel('Apply to a folder…').setInputFiles(folder);
    await p.getByTestId('apply-message').filter({ hasText: /no image model|could not be read|failed/ }).waitFor({ timeout: 60_000 });
    const applied = await p.getByTestId('apply-message').innerText();
    expect(applied).toMatch(/no image model|0 images scored, 1 could not be read/);
    // predictions.csv must not be mistaken for the project file below.
    if (/could not be read/.test(applied)) expect((await predictions)?.suggestedFilename()).toBe('predictions.csv');
    await p.locator('#project').screenshot({ path: `${SHOTS}/view-project-apply.png` });
    // Whole project: export, damage, open (refused, nothing changes), open the good one.
    const steps = await historySteps(p);
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export project' }).click()]);
    const zip = readFileSync((await download.path())!);
    await p.getByLabel('Open project file').setInputFiles({ name: 'cut.zip', mimeType: 'application/zip', buffer: zip.subarray(0, zip.length - 40) });
    const alert = p.getByTestId('project-file-error');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/^cut\.zip: /);
    expect(await historySteps(p)).toBe(steps);
    await p.screenshot({ path: `${SHOTS}/studio-project-import-error.png` });
    // Switch to another project, then open the file: the exported project (and its settings) come back.
    const name = JSON.stringify(await p.evaluate('window.__studio.getState().dataset.name'));
    await p.getByRole('button', { name: 'Synthetic project: 2,000' }).or(p.getByRole('button', { name: '2,000', exact: true })).first().click();
    await p.waitForFunction(`window.__studio.getState().dataset.name !== ${name}`);
    await p.getByLabel('Open project file').setInputFiles({ name: 'project.zip', mimeType: 'application/zip', buffer: zip });
    await p.waitForFunction(`window.__studio.getState().dataset.name === ${name}`);
    expect(await historySteps(p)).toBe(steps);
    expect(await p.evaluate('window.__studio.getState().settings.padToSquare')).toBe(true);
    await p.context().close();
  }, 120_000);
});
