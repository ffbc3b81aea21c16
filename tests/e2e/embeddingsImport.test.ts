/**
 * Precomputed embeddings in a real Chromium (production build): Project › Dataset ›
 * "Precomputed embeddings…" takes emb.npy + emb.ids.txt (class folders in the ids) + concept
 * text embeddings (concepts.npy + concepts.txt), shows what it found, builds and distils a
 * project; a bad ids file is then refused with its message and the imported project stays.
 * A snappy parquet file (embedding list + image_path + label columns) is read in the page too.
 * Screenshots of the section go to artifacts/screenshots/embeddings-import-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeNpy } from '../../src/core/io/npy.ts';
import { mulberry32, randNormal } from '../../src/core/math/rng.ts';
import { chromiumAvailable, ROOT, SHOTS, startHarness, type Harness } from '../../tools/e2e/harness.ts';

const CONCEPTS = ['red', 'blue', 'green', 'round', 'square', 'metal', 'wood', 'glass'];
const CLASSES = ['apple', 'sea', 'leaf'];
const N = 90;
let h: Harness;
let dir = '';

/** 8-D embeddings: class c points along concept axis c (plus noise); concept j is axis j. */
function writeFiles(): void {
  const rng = mulberry32(11);
  const data = new Float32Array(N * 8);
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    ids.push(`${CLASSES[i % 3]}/img${String(i).padStart(3, '0')}.jpg`);
    let ss = 0;
    for (let d = 0; d < 8; d++) ss += (data[i * 8 + d] = 0.35 * randNormal(rng) + (d === i % 3 ? 2 : 0) + 0.3) ** 2;
    for (let d = 0; d < 8; d++) data[i * 8 + d] /= Math.sqrt(ss);
  }
  const text = new Float32Array(CONCEPTS.length * 8);
  CONCEPTS.forEach((_, j) => (text[j * 8 + j] = 1));
  writeFileSync(join(dir, 'emb.npy'), writeNpy(data, [N, 8]));
  writeFileSync(join(dir, 'emb.ids.txt'), ids.join('\n') + '\n');
  writeFileSync(join(dir, 'concepts.npy'), writeNpy(text, [CONCEPTS.length, 8]));
  writeFileSync(join(dir, 'concepts.txt'), CONCEPTS.join('\n') + '\n');
  writeFileSync(join(dir, 'short.ids.txt'), ids.slice(0, 40).join('\n') + '\n');
  const rows = Array.from({ length: N }, (_, i) => Array.from(data.subarray(i * 8, (i + 1) * 8)));
  writeFileSync(join(dir, 'emb.parquet'), new Uint8Array(parquetWriteBuffer({
    columnData: [{ name: 'image_path', data: ids.map((id) => `/data/${id.split('/')[1]}`) }, { name: 'embedding', data: rows }, { name: 'label', data: ids.map((id) => id.split('/')[0]) }],
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'image_path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'embedding', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'OPTIONAL' },
      { name: 'label', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    ],
  })));
  const wide = new Float32Array(6 * 512);
  for (let i = 0; i < 6; i++) wide[i * 512 + i] = 1;
  writeFileSync(join(dir, 'wide.npy'), writeNpy(wide, [6, 512]));
  writeFileSync(join(dir, 'wide.ids.txt'), ids.slice(0, 6).join('\n') + '\n');
}

const state = (p: Page) => p.evaluate(`(() => {
  const s = window.__studio.getState();
  return { name: s.dataset && s.dataset.name, N: s.dataset && s.dataset.N, C: s.dataset && s.dataset.C, M: s.dataset && s.dataset.M,
    classes: s.dataset && s.dataset.classes, thumb0: s.dataset && s.dataset.thumbs && s.dataset.thumbs[0],
    fidelity: s.live && s.live.metrics ? s.live.metrics.fidelity : null, hasStudent: !!(s.session && s.session.state.ensemble) };
})()`) as Promise<{ name: string; N: number; C: number; M: number; classes: string[]; thumb0: string | null; fidelity: number | null; hasStudent: boolean }>;

describe.skipIf(!chromiumAvailable())('precomputed embeddings (production build)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'emb-e2e-'));
    writeFiles();
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports .npy + ids + concept embeddings into a distilled project; a bad ids file is refused and the project stays', async () => {
    const p = await h.page({ width: 1440, height: 900, query: '?synthetic=2000' });
    const before = await state(p);
    expect(before.N).toBe(2000);

    await p.getByLabel('Precomputed embeddings…').setInputFiles(['emb.npy', 'emb.ids.txt', 'concepts.npy', 'concepts.txt'].map((f) => join(dir, f)));
    const preview = p.getByTestId('embeddings-preview');
    await preview.waitFor();
    const text = await preview.innerText();
    expect(text).toMatch(/Found 90 images × 1 region × 8 dimensions/);
    expect(text).toMatch(/Classes \(folder names in the ids\): apple 30 · leaf 30 · sea 30/);
    expect(text).toMatch(/Concepts: 8 from the concept list, with their text embeddings/);
    await preview.scrollIntoViewIfNeeded();
    await p.screenshot({ path: `${SHOTS}/embeddings-import-preview-1440x900.png` });
    await p.getByTestId('embeddings-preview').screenshot({ path: `${SHOTS}/embeddings-import-section.png` });

    await p.getByRole('button', { name: 'Build project' }).click();
    const msg = p.getByTestId('embeddings-message');
    await msg.waitFor({ timeout: 120_000 });
    expect(await msg.innerText()).toMatch(/Built emb \(precomputed\): 90 images, \d+ concepts, 3 classes; held-out fidelity/);
    await p.waitForFunction('window.__studio.getState().dataset.name === "emb (precomputed)" && !!window.__studio.getState().session.state.ensemble', null, { timeout: 60_000 });
    const after = await state(p);
    expect(after).toMatchObject({ name: 'emb (precomputed)', N: 90, C: 3, classes: ['apple', 'leaf', 'sea'], hasStudent: true });
    expect(after.M).toBeGreaterThanOrEqual(3);
    expect(after.thumb0).toMatch(/^data:image\/svg\+xml,/);
    // The gallery shows the id placeholders.
    await p.screenshot({ path: `${SHOTS}/embeddings-import-built-1440x900.png` });

    // A bad ids file: refused with its message; the imported project stays.
    await p.getByLabel('Precomputed embeddings…').setInputFiles([join(dir, 'emb.npy'), join(dir, 'short.ids.txt')]);
    await p.getByText('These files cannot be imported').waitFor();
    expect(await p.getByTestId('embeddings-preview').innerText()).toMatch(/ids short\.ids\.txt lists 40 ids but emb\.npy has 90 rows/);
    expect(await p.getByRole('button', { name: 'Build project' }).count()).toBe(0);
    await p.getByTestId('embeddings-preview').screenshot({ path: `${SHOTS}/embeddings-import-refused.png` });
    expect((await state(p)).name).toBe('emb (precomputed)');
    expect((await state(p)).N).toBe(90);
    await p.context().close();

    // 1280×800: the preview fits the Project column.
    const q = await h.page({ width: 1280, height: 800, query: '?synthetic=2000' });
    await q.getByLabel('Precomputed embeddings…').setInputFiles(['emb.npy', 'emb.ids.txt', 'concepts.npy', 'concepts.txt'].map((f) => join(dir, f)));
    await q.getByTestId('embeddings-preview').waitFor();
    await q.getByTestId('embeddings-preview').scrollIntoViewIfNeeded();
    await q.screenshot({ path: `${SHOTS}/embeddings-import-preview-1280x800.png` });
    const box = (await q.getByTestId('embeddings-preview').boundingBox())!;
    const panel = (await q.locator('section[aria-labelledby="project-h"]').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(panel.x + panel.width + 1);

    // 512-D embeddings without concept text: the concept names need a 512-D model's text tower;
    // the user picks one of the three and agrees to its download before building.
    await q.getByLabel('Precomputed embeddings…').setInputFiles([join(dir, 'wide.npy'), join(dir, 'wide.ids.txt'), join(dir, 'concepts.txt')]);
    await q.getByText('Found 6 images × 1 region × 512 dimensions').waitFor();
    const pick = q.getByLabel('Model for the concept names');
    expect(await pick.locator('option').allInnerTexts()).toEqual(['CLIP ViT-B/32 (OpenAI)', 'CLIP ViT-B/16 (OpenAI)', 'MobileCLIP-S0 (Apple)']);
    expect(await q.getByTestId('embeddings-preview').innerText()).toMatch(/3 models give 512-dimensional embeddings: choose the one that made them/);
    expect(await q.getByRole('button', { name: 'Build project' }).isDisabled()).toBe(true);
    await q.getByLabel(/Download CLIP ViT-B\/32 \(OpenAI\)/).check();
    expect(await q.getByRole('button', { name: 'Build project' }).isDisabled()).toBe(false);
    await q.getByTestId('embeddings-preview').screenshot({ path: `${SHOTS}/embeddings-import-model-choice.png` });
    // Accessibility of the section in its fullest state (teacher and model selects, download checkbox).
    await q.addScriptTag({ content: readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
    const violations = (await q.evaluate(`(async () => {
      const r = await window.axe.run(document.querySelector('[data-testid="embeddings-preview"]').parentElement, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length }));
    })()`)) as { id: string; impact: string }[];
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

    // A snappy parquet file (embedding list column + image_path + label) read in the page.
    await q.getByLabel('Precomputed embeddings…').setInputFiles([join(dir, 'emb.parquet'), join(dir, 'concepts.npy'), join(dir, 'concepts.txt')]);
    await q.getByText('Found 90 images × 1 region × 8 dimensions').waitFor();
    expect(await q.getByTestId('embeddings-preview').innerText()).toMatch(/Classes \(column label of emb\.parquet\): apple 30 · leaf 30 · sea 30/);
    await q.context().close();
  }, 300_000);
});
