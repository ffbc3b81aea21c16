/**
 * Own images with regions and from a zip, end to end in real Chromium (production build, tiny
 * CLIP): choose "2×2" in the import preview, build, and find 5 region embeddings per image that
 * agree with the command line (`concept-studio embed --regions 4`) on the same files, raw
 * activations that are max(0, max_r cos), and an export that records the region grid and passes
 * the README's reference predictor. A zip is unpacked in a worker (not on the page's thread),
 * keeps the zip guards' messages, and builds.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { zipSync } from 'fflate';
import { splitJpeg } from '../../tools/fixtures/splitJpeg.ts';
import { readmePredictor } from '../../tools/fixtures/readmePredictor.ts';
import { chromiumAvailable, ROOT, SHOTS, startHarness, type Harness } from '../../tools/e2e/harness.ts';
import { parseNpy } from '../../src/core/io/npy.ts';
import { embed } from '../../tools/cli/embed.ts';
import { unloadAll } from '../../src/ml/clip.ts';

let h: Harness;
let dir = '';

describe.skipIf(!chromiumAvailable())('own images: region grid and zip (production build, tiny CLIP)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(resolve(tmpdir(), 'own-regions-e2e-'));
    const zipEntries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 16; i++) {
      const cls = i % 2 ? 'blue' : 'red';
      const main = cls === 'red' ? [210, 40, 30] : [30, 50, 210];
      const other = [[240, 240, 240], [20, 20, 20], [40, 180, 40]][i % 3];
      const bytes = i % 4 < 2 ? splitJpeg(main, other, i) : splitJpeg(other, main, i);
      mkdirSync(resolve(dir, 'split', cls), { recursive: true });
      writeFileSync(resolve(dir, 'split', cls, `${cls}-${String(i).padStart(2, '0')}.jpg`), bytes);
      zipEntries[`kit/${cls}/${cls}-${i}.jpg`] = bytes;
    }
    writeFileSync(resolve(dir, 'kit.zip'), zipSync(zipEntries, { level: 6 }));
    writeFileSync(resolve(dir, 'evil.zip'), zipSync({ 'kit/red/a.jpg': zipEntries['kit/red/red-0.jpg'], '../escape.jpg': zipEntries['kit/red/red-0.jpg'] }));
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
    unloadAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('2×2 regions: 5 region embeddings per image that match the CLI, max-over-regions activations, the export records the grid', async () => {
    const p = await h.page({ width: 1440, height: 900 });
    await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
    await p.evaluate(`window.__studio.getState().setEnv({ modelId: 'tiny-clip' })`);
    await p.getByLabel('Folder…', { exact: true }).setInputFiles(resolve(dir, 'split'));
    const preview = p.getByTestId('import-preview');
    await preview.getByText('Classes: blue 8 · red 8').waitFor();
    const regions = p.getByRole('combobox', { name: /^Regions/ });
    // Whole image by default; the grids say what they cost.
    expect(await regions.inputValue()).toBe('1');
    expect(await regions.locator('option').allInnerTexts()).toEqual([
      'Whole image only (fastest)',
      'Whole + 2×2 crops (5× the time)',
      'Whole + 3×3 crops (10× the time)',
    ]);
    await regions.selectOption('2');
    expect(await p.getByTestId('regions-note').innerText()).toMatch(/best crop wins/);
    await preview.scrollIntoViewIfNeeded();
    await preview.screenshot({ path: `${SHOTS}/own-images-regions-preview.png` });
    await p.screenshot({ path: `${SHOTS}/own-images-regions-preview-1440x900.png` });
    await p.setViewportSize({ width: 1280, height: 800 });
    await preview.scrollIntoViewIfNeeded();
    await p.screenshot({ path: `${SHOTS}/own-images-regions-preview-1280x800.png` });
    await p.setViewportSize({ width: 1440, height: 900 });

    await p.locator('summary').filter({ hasText: /^Teacher$/ }).click();
    await p.getByRole('combobox', { name: /^Source/ }).selectOption('labels');
    await p.getByRole('button', { name: 'Build project' }).click();
    await p.getByTestId('own-images-message').getByText(/^Built split: 16 images, 2 classes/).waitFor({ timeout: 180_000 });
    const ds = (await p.evaluate(`(() => { const d = window.__studio.getState().dataset;
      return { N: d.N, M: d.M, grid: d.regionGrid, names: d.imageNames, R: d.imageEmbeddings.R, D: d.imageEmbeddings.D,
        emb: Array.from(d.imageEmbeddings.data), raw: Array.from(d.raw.data), text: Array.from(d.conceptText.data),
        thumbs: d.thumbs.filter((t) => t.startsWith('data:image/jpeg')).length }; })()`)) as {
      N: number; M: number; grid: number; names: string[]; R: number; D: number; emb: number[]; raw: number[]; text: number[]; thumbs: number;
    };
    expect([ds.N, ds.grid, ds.R, ds.D, ds.emb.length, ds.thumbs]).toEqual([16, 2, 5, 16, 16 * 5 * 16, 16]);

    // The command line on the same files (Node, onnxruntime-node, sharp decoding) with --regions 4.
    const out = resolve(dir, 'emb.npy');
    const quiet = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
    try {
      await embed.run([resolve(dir, 'split'), '--model', resolve(ROOT, 'models/tiny-clip'), '--regions', '4', '--out', out]);
    } finally {
      quiet.forEach((q) => q.mockRestore());
    }
    const cli = parseNpy(new Uint8Array(readFileSync(out)));
    const cliIds = readFileSync(resolve(dir, 'emb.ids.txt'), 'utf8').split('\n').filter(Boolean);
    expect(cli.shape).toEqual([16, 5, 16]);
    let embDiff = 0, actDiff = 0, cropWins = 0;
    for (let i = 0; i < ds.N; i++) {
      // The studio names files by their path inside the picked folder ("split/red/…").
      const row = cliIds.indexOf(ds.names[i].replace(/^split\//, ''));
      expect(row, ds.names[i]).toBeGreaterThanOrEqual(0);
      for (let q = 0; q < 80; q++) embDiff = Math.max(embDiff, Math.abs(ds.emb[i * 80 + q] - cli.data[row * 80 + q]));
      for (let j = 0; j < ds.M; j++) {
        const cos = [0, 1, 2, 3, 4].map((r) => { let s = 0; for (let d = 0; d < 16; d++) s += cli.data[(row * 5 + r) * 16 + d] * ds.text[j * 16 + d]; return s; });
        const best = Math.max(...cos);
        if (best > cos[0] + 1e-3 && best > 0) cropWins++;
        actDiff = Math.max(actDiff, Math.abs(ds.raw[i * ds.M + j] - Math.max(0, best)));
      }
    }
    expect(embDiff).toBeLessThan(2e-3);
    expect(actDiff).toBeLessThan(2e-3);
    expect(cropWins).toBeGreaterThan(ds.N);

    const [dl] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export student JSON' }).click()]);
    const doc = JSON.parse(readFileSync((await dl.path())!, 'utf8'));
    expect(doc.regions.grid).toBe(4);
    expect(doc.regions.overlap).toBeCloseTo(1 / 3, 6);
    const r = readmePredictor().check(doc);
    expect(r.failures).toEqual([]);
    expect(r.checked).toBeGreaterThan(0);
  }, 400_000);

  it('a zip is unpacked in a worker, keeps the guards, and builds', async () => {
    const p = await h.page({ width: 1280, height: 800 });
    await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
    await p.evaluate(`window.__studio.getState().setEnv({ modelId: 'tiny-clip' })`);
    const workers: string[] = [];
    p.on('worker', (w) => workers.push(w.url()));

    await p.getByLabel('Zip…').setInputFiles(resolve(dir, 'evil.zip'));
    const preview = p.getByTestId('import-preview');
    await preview.getByText(/evil\.zip: entry '\.\.\/escape\.jpg' has .*refusing the file/).waitFor({ timeout: 60_000 });
    expect(await p.getByRole('button', { name: 'Build project' }).count()).toBe(0);

    await p.getByLabel('Zip…').setInputFiles(resolve(dir, 'kit.zip'));
    await preview.getByText('Classes: blue 8 · red 8').waitFor({ timeout: 60_000 });
    expect(workers.filter((u) => /imageZip/.test(u))).toHaveLength(2);
    await p.locator('summary').filter({ hasText: /^Teacher$/ }).click();
    await p.getByRole('combobox', { name: /^Source/ }).selectOption('labels');
    await p.getByRole('button', { name: 'Build project' }).click();
    await p.getByTestId('own-images-message').getByText(/^Built kit: 16 images, 2 classes/).waitFor({ timeout: 180_000 });
    expect(await p.evaluate('window.__studio.getState().dataset.thumbs.filter((t) => t.startsWith("data:image/jpeg")).length')).toBe(16);
    await p.locator('#project').screenshot({ path: `${SHOTS}/own-images-zip-built-project.png` });
  }, 300_000);
});
