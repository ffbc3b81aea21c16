/**
 * Domain-aware calibration and the shift simulator on the demo project (committed cache), with
 * the demo CLIP embedding the condition prompts in-process exactly as the embed worker does:
 * the posterior finds the demo's lighting, a mode change is one recorded calibration change that
 * restandardises (undo restores the plain â bit for bit), test-time refuses small batches, the
 * export carries the domain block and its check block verifies, the gallery facet filters.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { demoOnDisk, loadDemoFromDisk } from '../../tools/demo/demoFromDisk.ts';
import { parseStudentExport } from '../core/schema/parse.ts';
import { standardise } from '../core/concepts/stats.ts';
import { createEmbedApi } from '../workers/embedApi.ts';
import { decodeImage } from '../data/images/index.ts';
import { corrupt, type Corruption } from '../data/images/corrupt.ts';
import { createStudioStore, type StudioStore } from './store.ts';
import { buildDemoDataset, distillDemo, DEMO_TRAINING } from './demoProject.ts';
import { inProcessEngine } from './engine.ts';
import { exportStudentJson, importStudentJson } from './exportStudent.ts';
import { cleanPrompts, DEMO_DOMAIN_PROMPTS, domainPosteriors, domainsFromPrompts, domainsInMode, setPromptEmbedder, setRows } from './domain.ts';
import { runShiftSimulator, setShiftEmbedder } from './shift.ts';
import { filteredImages } from '../ui/images/filter.ts';
import { exportProjectZip, importProjectZip } from './projectZip.ts';
import { fromSaved, SAVE_VERSION, toSaved } from './persistence.ts';

const ROOT = join(import.meta.dirname, '../..');
const api = createEmbedApi({
  decode: (b, n) => decodeImage(b, n),
  hash: async () => '',
  openCache: async () => ({ getMany: async (k) => k.map(() => undefined), putMany: async () => undefined }),
  cacheKey: () => '',
  corrupt: (img, spec) => corrupt(img, { ...spec, kind: spec.kind as Corruption }),
});

async function demoStore(): Promise<StudioStore> {
  const { meta, arrays } = await loadDemoFromDisk();
  const training = { ...DEMO_TRAINING, members: 3 };
  const r = await distillDemo(buildDemoDataset(meta, arrays), training, inProcessEngine, { signal: new AbortController().signal, token: { aborted: false }, onProgress: () => undefined });
  const store = createStudioStore();
  store.setState({ training });
  store.getState().commit({ type: 'load', dataset: r.dataset, ensemble: r.ensemble, label: 'demo' });
  return store;
}

const lightingOf = (() => {
  const info = JSON.parse(readFileSync(join(ROOT, 'public/demo/dataset.json'), 'utf8')) as { images: { id: string; lighting: string }[] };
  return new Map(info.images.map((x) => [x.id, x.lighting]));
})();

describe.skipIf(!demoOnDisk)('domain calibration on the demo', () => {
  beforeAll(async () => {
    await api.load({ model: 'demo-clip', localModelPath: join(ROOT, 'models') + '/', device: 'cpu', dtype: 'fp32', selfCheck: false });
    setPromptEmbedder((prompts) => api.embedTexts(prompts, ['{}']));
  });
  afterAll(() => {
    setPromptEmbedder(null);
    setShiftEmbedder(null);
  });

  it('finds the lighting, records mode changes, restandardises, exports the domain block', async () => {
    const store = await demoStore();
    let s = store.getState();
    const ds = s.dataset!;
    const plain = ds.ahat.slice();
    const domain = await domainsFromPrompts(s, cleanPrompts(DEMO_DOMAIN_PROMPTS.join('\n') + '\n\n  a photo in dim light  \n'));
    expect(domain.domains.map((d) => d.prompt)).toEqual(DEMO_DOMAIN_PROMPTS); // duplicate and blank lines dropped
    expect(domain.mode).toBe('off');
    const steps0 = Object.keys(s.session!.history.nodes).length;
    s.commit({ type: 'domainSettings', domain });
    s = store.getState();
    expect(s.dataset!.ahat).toEqual(plain); // mode 'off': â unchanged
    expect(s.session!.history.nodes[s.session!.history.head].label).toBe('Found 4 conditions for domain calibration (calibration off)');

    // The posterior reads the demo's lighting: every 'dim' image's likeliest condition is "dim light".
    const post = domainPosteriors(s.dataset, s.session!.state.calibration.domain)!;
    const want: Record<string, number> = { bright: 0, dim: 1, haze: 2, glare: 3 };
    let right = 0, total = 0;
    ds.imageNames.forEach((id, i) => {
      const l = lightingOf.get(id)!;
      if (l in want) { total++; if (post.top[i] === want[l]) right++; }
    });
    expect(right / total).toBeGreaterThan(0.95); // measured 1.000 (tools/demo/shift.ts)

    // Gallery facet: the likeliest-condition filter keeps exactly those images.
    const dim = filteredImages(s, { kind: 'domain', domain: 1 }, false);
    expect(dim.length).toBe(post.top.filter((d) => d === 1).length);
    expect(Array.from(dim).every((i) => post.top[i] === 1)).toBe(true);

    // Source mode: one recorded calibration change, â recalibrated, held-out accuracy must not drop.
    const accOff = s.metrics!.accuracy!;
    s.commit({ type: 'domainSettings', domain: domainsInMode(s.dataset!, s.session!.state.calibration.domain!, 'source') });
    s = store.getState();
    const head = s.session!.history.nodes[s.session!.history.head];
    expect(head.action).toBe('calibrationChange');
    expect(head.label).toBe("Set domain calibration to 'source'");
    expect(head.metricsAfter!.accuracy).toBe(s.metrics!.accuracy);
    expect(Object.keys(s.session!.history.nodes).length).toBe(steps0 + 2);
    expect(s.dataset!.ahat).not.toEqual(plain);
    expect(s.metrics!.accuracy!).toBeGreaterThanOrEqual(accOff); // measured 66.0 → 84.3 % with 5 members

    // The export carries the domain block; its check block (calibrated â) verifies on import.
    const json = exportStudentJson(s);
    const doc = JSON.parse(json);
    expect(doc.domain.mode).toBe('source');
    expect(doc.domain.domains).toHaveLength(4);
    expect(doc.domain.domains[1].prompt).toBe('a photo in dim light');
    const parsed = parseStudentExport(json);
    expect('error' in parsed ? parsed.error : 'ok').toBe('ok');

    // Importing that file into a fresh project brings the calibration with it: the same predictions.
    const fresh = await demoStore();
    const imp = importStudentJson(fresh.getState(), json, 'calibrated.json');
    expect(imp).toEqual({ ok: true, label: "Imported the student file 'calibrated.json' with its domain calibration ('source', 4 conditions)" });
    expect(fresh.getState().session!.state.calibration.domain!.mode).toBe('source');
    expect(Array.from(fresh.getState().live!.pred)).toEqual(Array.from(s.live!.pred));

    // The whole-project file and the autosave bring the calibration back, with the calibrated â.
    const other = createStudioStore();
    const back = importProjectZip(other.getState(), await exportProjectZip(s), 'p.zip');
    expect(back).toMatchObject({ ok: true });
    expect(other.getState().session!.state.calibration.domain!.mode).toBe('source');
    expect(Array.from(other.getState().session!.state.calibration.domain!.domains[1].mu)).toEqual(Array.from(s.session!.state.calibration.domain!.domains[1].mu));
    expect(other.getState().dataset!.ahat).toEqual(s.dataset!.ahat);
    const saved = fromSaved(SAVE_VERSION, structuredClone(toSaved(s)!));
    expect('error' in saved).toBe(false);
    const third = createStudioStore();
    if (!('error' in saved)) third.getState().commit({ type: 'hydrate', ...saved });
    expect(third.getState().dataset!.ahat).toEqual(s.dataset!.ahat);

    // Test-time statistics: refused on a batch under 30 images, with the reason; accepted on 'shifted'.
    const cur = s.session!.state.calibration.domain!;
    expect(() => domainsInMode(s.dataset!, cur, 'test-time', Int32Array.from([1, 2, 3]))).toThrow(
      'test-time statistics need an unlabelled batch of at least 30 images of the new conditions; the chosen images are 3',
    );
    const shifted = setRows(s.dataset!, s.dataset!.sets!.names.indexOf('shifted'));
    s.commit({ type: 'domainSettings', domain: domainsInMode(s.dataset!, cur, 'test-time', shifted) });
    s = store.getState();
    expect(s.session!.state.calibration.domain!.mode).toBe('test-time');
    expect(JSON.parse(exportStudentJson(s)).domain.mode).toBe('test-time');

    // Undo twice: back to 'off', and â is the plain standardisation again, bit for bit.
    s.commit({ type: 'undo' });
    s.commit({ type: 'undo' });
    s = store.getState();
    expect(s.session!.state.calibration.domain!.mode).toBe('off');
    expect(s.dataset!.ahat).toEqual(standardise(s.dataset!.raw, s.session!.state.stats!).data);
  }, 120_000);

  it('the shift simulator re-embeds corrupted held-out images and scores three modes', async () => {
    const store = await demoStore();
    let s = store.getState();
    s.commit({ type: 'domainSettings', domain: await domainsFromPrompts(s, DEMO_DOMAIN_PROMPTS) });
    s = store.getState();
    // The same path as the app's embedder, reading the files from public/ instead of fetching them.
    setShiftEmbedder(async (images, specs, o) => {
      const files = images.map((im) => ({ id: im.id, bytes: new Uint8Array(readFileSync(join(ROOT, 'public', im.url.replace(/^\//, '')))) }));
      return api.embedShifted(files, specs, { grid: o.grid, pad: o.pad });
    });
    const run = await runShiftSimulator(s, { kinds: ['darken', 'noise'], severities: [1, 4], count: 32 });
    expect(run.rows.length).toBe(32);
    expect(run.results.map((r) => `${r.kind}${r.severity}`)).toEqual(['darken1', 'darken4', 'noise1', 'noise4']);
    for (const r of [run.clean, ...run.results.map((x) => x.r)]) {
      expect(r.off.n).toBe(32);
      expect(r.testTime).not.toBeNull(); // 32 ≥ 30
      expect(r.off.accuracy).not.toBeNull();
      expect(r.off.flagged).not.toBeNull(); // the demo records its OOD flag at load
    }
    // Heavy darkening hurts the uncalibrated student; the clean batch scores as the dataset's own embeddings do.
    const dark4 = run.results[1].r;
    expect(dark4.off.accuracy!).toBeLessThan(run.clean.off.accuracy!);
    const small = await runShiftSimulator(s, { kinds: ['jpeg'], severities: [2], count: 5 });
    expect(small.results[0].r.testTime).toBeNull();
    expect(small.results[0].r.note).toMatch(/at least 30 images; this batch has 5/);
  }, 120_000);
});
