/**
 * A project from the user's own images, end to end in real Chromium (production build) with the
 * tiny CLIP fixture: pick a folder with one sub-folder per class (one file in it is corrupt), see
 * the preview, build (embed worker, train worker), and find the six views populated, the corrupt
 * file reported by name, a self-sufficient student export the README's reference predictor
 * checks, and "Apply to a folder" scoring new images with the project's own model. A failing
 * build (a predictions file that misses images) leaves the open project alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { readmePredictor } from '../../tools/fixtures/readmePredictor.ts';
import { chromiumAvailable, ROOT, SHOTS, startHarness, type Harness } from '../../tools/e2e/harness.ts';
import { encodeJpeg } from '../../src/data/images/index.ts';
import { mulberry32, randNormal } from '../../src/core/math/rng.ts';
import { zipSync } from 'fflate';

let h: Harness;
let dir = '';

/** Serious or critical axe violations inside #project. */
async function axeProject(p: Page) {
  await p.addScriptTag({ content: readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
  const res = (await p.evaluate(`(async () => {
    const r = await window.axe.run({ include: [['#project']] }, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, first: v.nodes[0] && v.nodes[0].target }));
  })()`)) as { id: string; impact: string }[];
  return res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A 40×30 JPEG of one colour with noise and a brighter blob: "red" and "blue" photos. */
function photo(rgb: [number, number, number], seed: number): Uint8Array {
  const rng = mulberry32(seed);
  const W = 40, H = 30;
  const data = new Uint8Array(W * H * 3);
  const cx = 8 + Math.floor(rng() * 24), cy = 6 + Math.floor(rng() * 18);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const blob = (x - cx) ** 2 + (y - cy) ** 2 < 30 ? 50 : 0;
    for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = Math.max(0, Math.min(255, rgb[c] + blob + Math.round(25 * randNormal(rng))));
  }
  return encodeJpeg({ width: W, height: H, data }, 90);
}

describe.skipIf(!chromiumAvailable())('own images: folder → project → views, export, apply (production build, tiny CLIP)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(resolve(tmpdir(), 'own-images-'));
    for (const [cls, rgb] of [['red', [200, 40, 40]], ['blue', [40, 60, 200]]] as const) {
      mkdirSync(resolve(dir, 'parts', cls), { recursive: true });
      for (let i = 0; i < 24; i++) writeFileSync(resolve(dir, 'parts', cls, `${cls}-${String(i).padStart(2, '0')}.jpg`), photo([...rgb], i + (cls === 'red' ? 0 : 100)));
    }
    // A "JPEG" that is not one: must be reported by name, and the build goes on.
    writeFileSync(resolve(dir, 'parts', 'blue', 'broken.jpg'), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
    writeFileSync(resolve(dir, 'parts', 'notes.txt'), 'not an image');
    mkdirSync(resolve(dir, 'new'));
    writeFileSync(resolve(dir, 'new', 'a.jpg'), photo([200, 40, 40], 500));
    writeFileSync(resolve(dir, 'new', 'b.jpg'), photo([40, 60, 200], 501));
    writeFileSync(resolve(dir, 'preds.csv'), 'file,label\nred-00.jpg,red\n');
    // A bigger zip (class folders inside one top folder) for the ONNX teacher and for cancelling.
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 150; i++) {
      entries[`shots/red/r${i}.jpg`] = photo([200, 40, 40], 1000 + i);
      entries[`shots/blue/b${i}.jpg`] = photo([40, 60, 200], 2000 + i);
    }
    writeFileSync(resolve(dir, 'shots.zip'), zipSync(entries, { level: 0 }));
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds a project from a folder with class sub-folders, then exports and applies it', async () => {
    const p = await h.page({ width: 1440, height: 900 });
    await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
    const demoName = await p.evaluate('window.__studio.getState().dataset.name');
    // The test fixture model is hidden from the picker: choose it through the store.
    await p.evaluate(`window.__studio.getState().setEnv({ modelId: 'tiny-clip' })`);

    await p.getByLabel('Folder…', { exact: true }).setInputFiles(resolve(dir, 'parts'));
    const preview = p.getByTestId('import-preview');
    await preview.getByText('Classes: blue 25 · red 24').waitFor();
    expect(await preview.innerText()).toMatch(/49 images, 1 other files ignored/);
    expect(await axeProject(p)).toEqual([]);

    // A predictions file that names one image only: the build fails with a clear message and the demo stays.
    await p.locator('summary').filter({ hasText: /^Teacher$/ }).click();
    await p.getByRole('combobox', { name: /^Source/ }).selectOption('file');
    await p.getByLabel('Predictions file…').setInputFiles(resolve(dir, 'preds.csv'));
    await p.getByTestId('predictions-file').getByText('Picked: preds.csv.').waitFor();
    await p.getByRole('button', { name: 'Build project' }).click();
    const msg = p.getByTestId('own-images-message');
    await msg.getByText(/could not be built: preds\.csv: no prediction for 47 of 48 images/).waitFor({ timeout: 120_000 });
    expect(await msg.innerText()).toMatch(/Your current project is unchanged/);
    expect(await p.evaluate('window.__studio.getState().dataset.name')).toBe(demoName);

    // Ground-truth labels as the teacher: build.
    await p.getByRole('combobox', { name: /^Source/ }).selectOption('labels');
    await p.getByRole('button', { name: 'Build project' }).click();
    await msg.getByText(/^Built parts: 48 images, 2 classes/).waitFor({ timeout: 180_000 });
    await p.locator('#project').screenshot({ path: `${SHOTS}/own-images-built-project.png` });

    expect(await axeProject(p)).toEqual([]);
    const skipped = p.getByTestId('own-images-skipped');
    expect(await skipped.innerText()).toMatch(/parts\/blue\/broken\.jpg: corrupt or unsupported JPEG/);
    const s = (await p.evaluate(`(() => {
      const s = window.__studio.getState(); const d = s.dataset;
      return { name: d.name, N: d.N, C: d.C, M: d.M, classes: d.classes, model: d.imageModel, text: d.conceptText && [d.conceptText.rows, d.conceptText.cols],
        thumbs: d.thumbs && d.thumbs.filter((t) => t.startsWith('data:image/jpeg')).length, held: d.split.heldOut.length, n: s.metrics.n, fidelity: s.metrics.fidelity,
        accuracy: s.metrics.accuracy, teacher: d.teacherDescription, hygiene: d.hygiene && d.hygiene.corpus };
    })()`)) as Record<string, unknown>;
    expect(s).toMatchObject({ name: 'parts', N: 48, C: 2, classes: ['blue', 'red'], thumbs: 48, teacher: 'Ground-truth labels (one-hot)', hygiene: 'general.txt' });
    expect(s.model).toMatchObject({ id: 'tiny-clip', embeddingDim: 16 });
    expect(s.text).toEqual([s.M, 16]);
    expect(s.n).toBe(s.held);
    expect(s.M as number).toBeGreaterThan(3);

    // The six views show the new project.
    for (const name of ['Project', 'Concepts', 'Images', 'Performance', 'Compare', 'History']) {
      await p.getByRole('heading', { name, exact: true, level: 2 }).waitFor();
    }
    const perf = await p.locator('#performance').innerText();
    expect(perf).toMatch(new RegExp(`${s.held}`));
    expect(await p.locator('#images').innerText()).toMatch(/of 48/);
    expect(await p.locator('#history').innerText()).toMatch(/Built parts from 48 images/);
    await p.screenshot({ path: `${SHOTS}/own-images-studio-1440x900.png` });
    await p.setViewportSize({ width: 1280, height: 800 });
    await p.screenshot({ path: `${SHOTS}/own-images-studio-1280x800.png` });
    await p.setViewportSize({ width: 1440, height: 900 });

    // Export: self-sufficient (tiny-clip, D = 16, concept text embeddings); the README predictor agrees.
    const [dl] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export student JSON' }).click()]);
    const doc = JSON.parse(readFileSync((await dl.path())!, 'utf8'));
    expect(doc.model).toMatchObject({ id: 'tiny-clip', embeddingDim: 16 });
    expect(doc.classes.map((c: { name: string }) => c.name)).toEqual(['blue', 'red']);
    for (const c of doc.concepts) expect(c.textEmbedding).toHaveLength(16);
    const r = readmePredictor().check(doc);
    expect(r.failures).toEqual([]);
    expect(r.checked).toBeGreaterThan(0);

    // Apply to a folder: two new images scored with the project's model.
    const [csvDl] = await Promise.all([p.waitForEvent('download', { timeout: 120_000 }), p.getByLabel('Apply to a folder…').setInputFiles(resolve(dir, 'new'))]);
    const csv = readFileSync((await csvDl.path())!, 'utf8').trim().split(/\r?\n/);
    expect(csv).toHaveLength(3);
    expect(await p.getByTestId('apply-message').innerText()).toMatch(/2 images scored/);

    // The autosave keeps the built project: a reload brings it back with its thumbnails and model.
    await p.waitForTimeout(1500);
    await p.reload();
    await p.getByRole('heading', { name: 'History', exact: true }).waitFor();
    await p.waitForFunction(`(() => { const d = window.__studio.getState().dataset; return d && d.name === 'parts'; })()`, null, { timeout: 30_000 });
    expect(await p.evaluate(`(() => { const d = window.__studio.getState().dataset;
      return [d.N, d.thumbs[0].slice(0, 23), d.imageModel.id, window.__studio.getState().session.state.conceptText.cols]; })()`)).toEqual([48, 'data:image/jpeg;base64,', 'tiny-clip', 16]);
  }, 400_000);

  it('loose files with a labels CSV, CLIP zero-shot teacher and your own concept list', async () => {
    const p = await h.page({ width: 1280, height: 800 });
    await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
    await p.evaluate(`window.__studio.getState().setEnv({ modelId: 'tiny-clip' })`);
    const files = [...Array.from({ length: 6 }, (_, i) => resolve(dir, 'parts', 'red', `red-0${i}.jpg`)), ...Array.from({ length: 6 }, (_, i) => resolve(dir, 'parts', 'blue', `blue-0${i}.jpg`))];
    writeFileSync(resolve(dir, 'labels.csv'), ['file,label', ...files.map((f) => `${f.split('/').pop()},${f.includes('/red/') ? 'dog' : 'cat'}`)].join('\r\n'));
    writeFileSync(resolve(dir, 'mine.txt'), '# my concepts\nfur\tanimal\nwheel,vehicle\nsky\nwater\ngrass\nsnow\nwing\nleaf\n');
    await p.getByLabel('Files + labels CSV…').setInputFiles([...files, resolve(dir, 'labels.csv')]);
    await p.getByTestId('import-preview').getByText('Classes: cat 6 · dog 6').waitFor();
    await p.getByLabel('Your list (.txt)…').setInputFiles(resolve(dir, 'mine.txt'));
    await p.getByRole('combobox', { name: /^Concepts/ }).getByText('mine.txt (8 concepts)').waitFor({ state: 'attached' });
    await p.locator('summary').filter({ hasText: /^Teacher$/ }).click();
    await p.getByRole('combobox', { name: /^Source/ }).selectOption('zero-shot');
    await p.getByRole('button', { name: 'Build project' }).click();
    await p.getByTestId('own-images-message').getByText(/^Built My images: 12 images, 2 classes/).waitFor({ timeout: 120_000 });
    const s = (await p.evaluate(`(() => { const d = window.__studio.getState().dataset;
      return { classes: d.classes, teacher: d.teacherDescription, corpus: d.hygiene.corpus, total: d.hygiene.total, labels: Array.from(d.labels) }; })()`)) as Record<string, unknown>;
    expect(s).toMatchObject({ classes: ['cat', 'dog'], corpus: 'mine.txt', total: 8 });
    expect(s.teacher).toMatch(/CLIP zero-shot/);
    expect(s.labels).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    await p.screenshot({ path: `${SHOTS}/own-images-zero-shot-1280x800.png` });
  }, 300_000);

  it('a zip with the ONNX classifier as teacher: progress with counts, Cancel keeps the project, then builds', async () => {
    const p = await h.page({ width: 1440, height: 900 });
    await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
    const demoName = await p.evaluate('window.__studio.getState().dataset.name');
    await p.evaluate(`window.__studio.getState().setEnv({ modelId: 'tiny-clip' })`);
    await p.getByLabel('Zip…').setInputFiles(resolve(dir, 'shots.zip'));
    await p.getByTestId('import-preview').getByText('Classes: blue 150 · red 150').waitFor();
    await p.locator('summary').filter({ hasText: /^Teacher$/ }).click();
    await p.getByRole('combobox', { name: /^Source/ }).selectOption('onnx');
    await p.getByLabel('Model .onnx…').setInputFiles(resolve(ROOT, 'models/demo-teacher/teacher.onnx'));
    await p.getByLabel('Labels .txt or teacher.json…').setInputFiles(resolve(ROOT, 'models/demo-teacher/teacher.json'));
    await p.getByTestId('onnx-files').getByText(/Model: teacher\.onnx · labels: teacher\.json/).waitFor();

    // Start, watch the progress (counts, rate, ETA), cancel: nothing changes.
    await p.getByRole('button', { name: 'Build project' }).click();
    const bar = p.getByRole('progressbar', { name: 'Build a project from 300 images' });
    await bar.waitFor({ timeout: 30_000 });
    await p.screenshot({ path: `${SHOTS}/own-images-building-1440x900.png` });
    await p.locator('#project').screenshot({ path: `${SHOTS}/own-images-building-project.png` });
    expect(await p.locator('.progress').first().innerText()).toMatch(/\/ 300[\s\S]*ETA/);
    await p.locator('.progress').first().getByRole('button', { name: 'Cancel' }).click();
    const msg = p.getByTestId('own-images-message');
    await msg.getByText('Build cancelled. Your current project is unchanged.').waitFor({ timeout: 60_000 });
    expect(await p.evaluate('window.__studio.getState().dataset.name')).toBe(demoName);
    expect(await p.evaluate('window.__studio.getState().jobs.length')).toBe(0);

    const t0 = Date.now();
    await p.evaluate(`(() => { const log = window.__stages = []; let last = '';
      window.__studio.subscribe((s) => { const j = s.jobs[0]; const st = j ? j.stage.split(' · ')[0] : 'none';
        if (st !== last) { last = st; log.push([st, Math.round(performance.now())]); } }); })()`);
    await p.getByRole('button', { name: 'Build project' }).click();
    await msg.getByText(/^Built shots: 300 images, 6 classes/).waitFor({ timeout: 240_000 });
    // Information for the report, not a target: the whole build (decode, thumbnails, ONNX teacher, embed, distil).
    console.log(`[own images] 300-image zip build with the ONNX teacher: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const stages = (await p.evaluate('window.__stages')) as [string, number][];
    console.log(`[own images] stage times (s): ${stages.slice(0, -1).map(([st, t], k) => `${st} ${((stages[k + 1][1] - t) / 1000).toFixed(1)}`).join(', ')}`);
    const s = (await p.evaluate(`(() => { const d = window.__studio.getState().dataset;
      return { classes: d.classes, teacher: d.teacherDescription, labels: d.labels, rows: d.teacher.rows }; })()`)) as Record<string, unknown>;
    expect(s.classes).toEqual(['ok', 'scratched', 'rusty', 'cracked', 'dented', 'chipped']);
    expect(s.teacher).toMatch(/^ONNX classifier teacher\.onnx \(6 classes, 64×64 input\)/);
    expect(s.labels).toBeNull();
    expect(s.rows).toBe(300);
    expect(await p.getByTestId('own-images-skipped').innerText()).toMatch(/not one of the teacher's classes/);
    await p.screenshot({ path: `${SHOTS}/own-images-onnx-built-1440x900.png` });
  }, 400_000);
});
