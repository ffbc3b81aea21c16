/**
 * The demo project built from the committed cache (public/demo/cache) keeps its real CLIP
 * embeddings: the session holds the kept concepts' text embeddings, the student exports
 * self-sufficient (model demo-clip, D = 160, preprocessing from models/demo-clip, a check block
 * of real image embeddings that the README's reference predictor reproduces), and autosave and
 * the project file bring all of it back.
 */
import { demoOnDisk, loadDemoFromDisk } from '../../tools/demo/demoFromDisk.ts';
import { describe, expect, it } from 'vitest';
import { parseStudentExport } from '../core/schema/parse.ts';
import { conceptActivations } from '../core/concepts/activations.ts';
import { createStudioStore, type StudioStore } from './store.ts';
import { buildDemoDataset, distillDemo } from './demoProject.ts';
import { inProcessEngine } from './engine.ts';
import { exportStudentJson } from './exportStudent.ts';
import { fromSaved, SAVE_VERSION, toSaved } from './persistence.ts';
import { exportProjectZip, importProjectZip } from './projectZip.ts';
import { applyToImages, setEmbedder } from './applyFolder.ts';
import { DEMO_TRAINING } from './demoProject.ts';
import { readmePredictor } from '../../tools/fixtures/readmePredictor.ts';

const have = demoOnDisk;

async function demoStore(): Promise<StudioStore> {
  const { meta, arrays } = await loadDemoFromDisk();
  const ds0 = buildDemoDataset(meta, arrays);
  const training = { ...DEMO_TRAINING, members: 3 };
  const ac = new AbortController();
  const r = await distillDemo(ds0, training, inProcessEngine, { signal: ac.signal, token: { aborted: false }, onProgress: () => undefined });
  const store = createStudioStore();
  store.setState({ training });
  store.getState().commit({ type: 'load', dataset: r.dataset, ensemble: r.ensemble, label: 'demo' });
  return store;
}

const reference = readmePredictor();

function fullExport(store: StudioStore) {
  const parsed = parseStudentExport(exportStudentJson(store.getState()));
  if (!parsed.ok) throw new Error(parsed.error);
  const doc = parsed.value;
  expect(doc.model.id).toBe('demo-clip');
  expect(doc.model.embeddingDim).toBe(160);
  expect(doc.model.preprocessing).toEqual({
    size: 64, crop: 'center', mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711], resample: 'bicubic', padToSquare: false,
  });
  for (const c of doc.concepts) expect(c.textEmbedding).toHaveLength(160);
  expect(doc.check.images.length).toBeGreaterThan(0);
  for (const im of doc.check.images) expect(im.embeddings).toHaveLength(160);
  const r = reference.check(doc);
  expect(r.checked).toBe(doc.check.images.length);
  expect(r.agree).toBe(true);
  return doc;
}

describe.skipIf(!have)('demo project keeps its CLIP embeddings', () => {
  it('session has the kept concepts\' text; the export is self-sufficient; autosave and project zip keep it', async () => {
    const store = await demoStore();
    const s = store.getState();
    const ds = s.dataset!;
    const text = s.session!.state.conceptText!;
    expect(text.rows).toBe(ds.M);
    expect(text.cols).toBe(160);
    // The text rows are the kept concepts': they reproduce the dataset's raw activations.
    const e = ds.imageEmbeddings!;
    const acts = conceptActivations({ N: ds.N, R: e.R, D: e.D, data: e.data }, text);
    for (const i of [0, 500, 1469]) for (let j = 0; j < ds.M; j += 7) expect(acts.data[i * ds.M + j]).toBeCloseTo(ds.raw.data[i * ds.M + j], 5);
    const doc = fullExport(store);
    expect(doc.concepts.map((c) => c.name)).toEqual(ds.concepts);

    // Autosave (structured clone, as IndexedDB stores it) → reload → full export again.
    const saved = structuredClone(toSaved(s));
    const r = fromSaved(SAVE_VERSION, saved);
    if ('error' in r) throw new Error(r.error);
    const b = createStudioStore();
    b.getState().commit({ type: 'hydrate', ...r });
    expect(fullExport(b).concepts.map((c) => c.textEmbedding)).toEqual(doc.concepts.map((c) => c.textEmbedding));

    // A damaged save is refused with the specific problem.
    const bad = structuredClone(toSaved(s))!;
    bad.dataset!.conceptText = { rows: ds.M, cols: 3, data: new Float32Array(ds.M * 3) };
    expect(fromSaved(SAVE_VERSION, bad)).toEqual({ error: expect.stringMatching(/dataset\.conceptText has 3 dimensions but the model demo-clip has 160/) });
    const bad2 = structuredClone(toSaved(s))!;
    bad2.dataset!.imageEmbeddings = { R: 1, D: 160, data: new Float32Array(10) };
    expect(fromSaved(SAVE_VERSION, bad2)).toEqual({ error: expect.stringMatching(/dataset\.imageEmbeddings has 10 values/) });

    // Project zip round trip.
    const zip = await exportProjectZip({ ...s, dataset: { ...ds, thumbs: null } });
    const c = createStudioStore();
    expect(importProjectZip(c.getState(), zip, 'demo.zip')).toMatchObject({ ok: true });
    expect(c.getState().dataset!.imageModel).toEqual(ds.imageModel);
    expect(Array.from(c.getState().session!.state.conceptText!.data)).toEqual(Array.from(text.data));
    fullExport(c);
  }, 120_000);

  it('apply to a folder scores new images with the kept concepts\' text embeddings (the studio\'s own predictions)', async () => {
    const store = await demoStore();
    const s = store.getState();
    const ds = s.dataset!;
    const e = ds.imageEmbeddings!;
    const rows = [0, 100, 900];
    let asked: unknown = null;
    // A stand-in embedder that returns the cached embeddings of the demo images by name.
    setEmbedder(async (files, o) => {
      asked = o;
      const data = new Float32Array(files.length * e.D);
      files.forEach((f, k) => data.set(e.data.subarray(rows[k] * e.D, (rows[k] + 1) * e.D), k * e.D));
      return { ids: files.map((f) => f.id), embeddings: data, R: 1, D: e.D, errors: [] };
    });
    try {
      const out = await applyToImages(s, rows.map((i) => ({ name: `${ds.imageNames[i]}.jpg`, bytes: new Uint8Array(1) })));
      expect(asked).toEqual({ grid: 1, pad: false, model: 'demo-clip' });
      const lines = out.csv.trim().split(/\r?\n/);
      const head = lines[0].split(',');
      const col = head.findIndex((h) => /predict/i.test(h));
      expect(col).toBeGreaterThanOrEqual(0);
      const predicted = lines.slice(1).map((l) => l.split(',')[col]);
      expect(predicted).toEqual(rows.map((i) => ds.classes[s.live!.pred[i]]));
    } finally {
      setEmbedder(null);
    }
  }, 120_000);
});
