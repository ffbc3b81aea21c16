/**
 * The demo project keeps its CLIP embeddings (real Chromium, production build): "Apply to a
 * folder" embeds three of the demo's own JPEGs in the embed worker (demo CLIP) and the CSV's
 * predicted classes are the studio's own predictions for those images; the exported student is
 * self-sufficient (demo-clip, D = 160, concept text embeddings) and the README's reference
 * predictor reproduces its check block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, resolve } from 'node:path';
import { readmePredictor } from '../../tools/fixtures/readmePredictor.ts';
import { chromiumAvailable, ROOT, startHarness, type Harness } from '../../tools/e2e/harness.ts';

const IMAGES = ['holdout-0000', 'holdout-0001', 'holdout-0002'];
let h: Harness;
let folder = '';

describe.skipIf(!chromiumAvailable())('demo project: apply to a folder and a self-sufficient export (production build)', () => {
  beforeAll(async () => {
    folder = mkdtempSync(resolve(tmpdir(), 'demo-apply-'));
    for (const id of IMAGES) copyFileSync(resolve(ROOT, `public/demo/images/${id}.jpg`), resolve(folder, `${id}.jpg`));
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('scores three demo JPEGs like the studio does, and exports demo-clip embeddings the reference predictor checks', async () => {
    const p = await h.page({ width: 1440, height: 900 });
    await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
    const info = (await p.evaluate(`(() => {
      const s = window.__studio.getState();
      const ids = ${JSON.stringify(IMAGES)};
      return {
        text: s.session.state.conceptText && [s.session.state.conceptText.rows, s.session.state.conceptText.cols],
        M: s.dataset.M,
        model: s.dataset.imageModel,
        expected: ids.map((id) => s.dataset.classes[s.live.pred[s.dataset.imageNames.indexOf(id)]]),
        found: ids.map((id) => s.dataset.imageNames.indexOf(id)),
      };
    })()`)) as { text: [number, number] | null; M: number; model: { id: string; embeddingDim: number } | null; expected: string[]; found: number[] };
    expect(info.found.every((i) => i >= 0)).toBe(true);
    expect(info.text).toEqual([info.M, 160]);
    expect(info.model).toMatchObject({ id: 'demo-clip', embeddingDim: 160 });

    // Apply to a folder: embeds in the embed worker (demo CLIP), scores with the served student.
    const [download] = await Promise.all([
      p.waitForEvent('download', { timeout: 180_000 }),
      p.getByLabel('Apply to a folder…').setInputFiles(folder),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/);
    expect(await p.getByTestId('apply-message').innerText()).toMatch(/3 images scored/);
    const head = csv[0].split(',');
    const [ci, cp] = [head.indexOf('image'), head.indexOf('predicted_class')];
    const got = new Map(csv.slice(1).map((l) => l.split(',')).map((f) => [basename(f[ci].replace(/^"|"$/g, ''), '.jpg'), f[cp]]));
    expect(IMAGES.map((id) => got.get(id))).toEqual(info.expected);

    // The exported student is self-sufficient, and the README's predictor agrees with its check block.
    const [dl] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Export student JSON' }).click()]);
    const doc = JSON.parse(readFileSync((await dl.path())!, 'utf8'));
    expect(doc.model.id).toBe('demo-clip');
    expect(doc.model.embeddingDim).toBe(160);
    expect(doc.model.preprocessing).toMatchObject({ size: 64, crop: 'center', resample: 'bicubic', padToSquare: false });
    expect(doc.concepts.length).toBe(info.M);
    for (const c of doc.concepts) expect(c.textEmbedding).toHaveLength(160);
    expect(doc.check.images.length).toBeGreaterThan(0);
    const r = readmePredictor().check(doc);
    expect(r.failures).toEqual([]);
    expect(r.agree).toBe(true);
    expect(r.checked).toBe(doc.check.images.length);
  }, 300_000);
});
