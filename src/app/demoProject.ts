/**
 * Opens the bundled demo project on first launch: read the demo's files, get its arrays (the
 * prepared cache from `npm run demo:prepare` when present, else computed here with the embed
 * worker — the same code path a hub model takes), apply corpus hygiene, distil the student in
 * the train worker on the demo's split, and commit it as a new project. Every step shows a
 * progress bar (counts, rate, ETA) in the Project view.
 */
import type { StudioStore } from '../state/store.ts';
import type { JobHandle } from '../state/slices/jobs.ts';
import type { Mat } from '../core/types.ts';
import { conceptActivations } from '../core/concepts/activations.ts';
import { getEngine } from '../state/engine.ts';
import { DEMO_TRAINING, buildDemoDataset, distillDemo, parseCorpus, parseDemoLabels, type DemoArrays, type DemoMeta } from '../state/demoProject.ts';
import { demoStatus, demoStep, setDemoStatus } from '../state/demoStatus.ts';
import { createEmbedClient, type EmbedClient } from '../workers/embedClient.ts';
import type { ModelStatus } from '../workers/embedApi.ts';
import { fetchImageModel, loadPreparedDemo } from './demoCache.ts';
import { demoLoadOutcome, projectToken } from '../state/demoLoad.ts';

const BASE = import.meta.env.BASE_URL;
export const DEMO_MODEL = 'demo-clip';
const CONCEPT_TEMPLATE = 'a photo of {concept}';
const CLASS_TEMPLATE = 'a photo of a {concept}';

let embedClient: EmbedClient | null = null;
/**
 * The demo CLIP in the embed worker (one per page; concept texts added later and "Apply to a
 * folder" embed here too). Its load runs ml/selfCheck with the registry's selfCheckPrompts for
 * demo-clip (prompts inside its machine-parts vocabulary).
 */
export function demoEmbedClient(): EmbedClient {
  return (embedClient ??= createEmbedClient({ model: DEMO_MODEL, localModelPath: `${BASE}models/`, allowDownload: false }));
}

/** Load the demo CLIP in the embed worker (the load self-checks it). */
async function loadDemoModel(): Promise<ModelStatus> {
  return demoEmbedClient().load();
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

/** dataset.json + labels.csv + the inspection corpus. */
export async function loadDemoMeta(): Promise<DemoMeta> {
  const [ds, csv, corpus] = await Promise.all([
    fetchOk(`${BASE}demo/dataset.json`).then((r) => r.json() as Promise<{ name: string; task: { classes: string[] } }>),
    fetchOk(`${BASE}demo/labels.csv`).then((r) => r.text()),
    fetchOk(`${BASE}corpora/inspection.txt`).then((r) => r.text()),
  ]);
  const classes = ds.task?.classes;
  if (!Array.isArray(classes) || classes.length < 2) throw new Error('demo/dataset.json: no task.classes');
  return { name: ds.name || 'Inspection line (demo)', classes, ...parseDemoLabels(csv, classes, `${BASE}demo/`), corpusName: 'inspection.txt', concepts: parseCorpus(corpus) };
}

/** Sizes of the demo CLIP's files from its manifest (the towers a load fetches, and the whole folder). */
async function modelSizes(): Promise<void> {
  try {
    // The manifest is Python's json.dump output, which writes NaN for missing metrics.
    const text = await fetchOk(`${BASE}models/${DEMO_MODEL}/manifest.json`).then((r) => r.text());
    const m = JSON.parse(text.replace(/\bNaN\b/g, 'null')) as { files?: Record<string, { bytes: number }> };
    const files = Object.entries(m.files ?? {}).filter(([p]) => p.startsWith(`models/${DEMO_MODEL}/`));
    const folder = files.reduce((s, [, f]) => s + (f.bytes || 0), 0);
    const load = files.filter(([p]) => !p.includes('_quantized') && !p.endsWith('manifest.json')).reduce((s, [, f]) => s + (f.bytes || 0), 0);
    setDemoStatus({ modelBytes: load || null, folderBytes: folder || null });
  } catch {
    /* sizes are informative only */
  }
}

function softmaxRows(logits: Float32Array, rows: number, cols: number, scale: number): Mat {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) mx = Math.max(mx, scale * logits[i * cols + c]);
    let s = 0;
    for (let c = 0; c < cols; c++) s += out[i * cols + c] = Math.exp(scale * logits[i * cols + c] - mx);
    for (let c = 0; c < cols; c++) out[i * cols + c] /= s;
  }
  return { rows, cols, data: out };
}

/** Everything computed in this browser: images and texts through the embed worker (demo CLIP). */
async function computeInBrowser(store: StudioStore, meta: DemoMeta): Promise<DemoArrays> {
  const client = demoEmbedClient();
  const st = store.getState();
  const N = meta.ids.length;
  const job: JobHandle = st.startJob('Embed the demo images (demo CLIP, embed worker)');
  try {
    job.progress({ stage: 'loading the demo CLIP', done: 0, total: N });
    const t0 = performance.now();
    const status = await loadDemoModel();
    setDemoStatus({ model: status });
    demoStep('load demo CLIP in the embed worker', performance.now() - t0);
    const t1 = performance.now();
    // Fetch the JPEGs in parallel, a few at a time, counting as they arrive.
    const bytes: Uint8Array[] = new Array(N);
    let got = 0;
    const next = { i: 0 };
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next.i < N) {
        const i = next.i++;
        bytes[i] = new Uint8Array(await (await fetchOk(meta.urls[i])).arrayBuffer());
        if (++got % 50 === 0 || got === N) job.progress({ stage: 'reading the demo images', done: got, total: N });
      }
    }));
    demoStep(`read ${N} demo images`, performance.now() - t1);
    const t2 = performance.now();
    const res = await client.embedFiles(meta.ids.map((id, i) => ({ id, bytes: bytes[i] })), { grid: 1, batchSize: 32 }, {
      signal: job.signal,
      onProgress: (p) => job.progress({ stage: p.stage === 'loading' ? 'loading the demo CLIP' : `embedding images (${p.cached} from the cache)`, done: p.done, total: p.total }),
    });
    if (res.errors.length) throw new Error(`${res.errors.length} demo image(s) did not embed, e.g. ${res.errors[0].id}: ${res.errors[0].message}`);
    demoStep(`embed ${N} images (${res.cached} cached)`, performance.now() - t2);
    const t3 = performance.now();
    job.progress({ stage: 'embedding concepts and class prompts', done: N, total: N });
    const conceptEmb = await client.embedTexts(meta.concepts, [CONCEPT_TEMPLATE], { signal: job.signal });
    const classEmb = await client.embedTexts(meta.classes, [CLASS_TEMPLATE], { signal: job.signal });
    const D = res.D;
    const concepts: Mat = { rows: meta.concepts.length, cols: D, data: conceptEmb };
    const classes: Mat = { rows: meta.classes.length, cols: D, data: classEmb };
    const raw = conceptActivations({ N, R: res.R, D, data: res.embeddings }, concepts);
    // Placeholder teacher until the ONNX teacher runner lands (src/ml/teacher.ts): the demo
    // CLIP zero-shot over the class prompts. It never reads labels.csv.
    const zs = conceptActivations({ N, R: res.R, D, data: res.embeddings }, classes);
    const teacher = softmaxRows(zs.data, N, meta.classes.length, 100);
    demoStep(`embed ${meta.concepts.length} concepts, activations`, performance.now() - t3);
    setDemoStatus({ note: 'The ONNX teacher runner is not in this build yet: the teacher is the demo CLIP zero-shot over the class names (a placeholder, not the biased demo teacher).' });
    const imageModel = await fetchImageModel(DEMO_MODEL, D, false).catch(() => null);
    job.finish();
    return {
      imageEmb: { N, R: res.R, D, data: res.embeddings },
      imageModel,
      conceptEmb: concepts, classEmb: classes, raw, teacher,
      teacherDescription: 'Placeholder teacher: demo CLIP zero-shot over the class names',
      modelDescription: `${DEMO_MODEL} (${status.device} · ${status.dtype}, embedded in this browser)`,
    };
  } catch (e) {
    job.finish();
    throw e;
  }
}

/** After the first screen: load the demo CLIP in the embed worker, to show the device and dtype it runs on. */
function loadModelInBackground(): void {
  if (demoStatus.getState().model) return;
  loadDemoModel().then((m) => setDemoStatus({ model: m }), (e) => setDemoStatus({ note: `The demo CLIP did not load in the embed worker: ${(e as Error).message}` }));
}

/** Each call of openDemoProject takes a number; only the latest may commit (a reopen supersedes an older load). */
let loadGen = 0;

/**
 * Open the demo project in the store; resolves when the first screen (with the student) is
 * committed. The load takes seconds, and the studio stays usable meanwhile, so it commits only
 * if it is still wanted (see demoLoadOutcome): a project the user opened or built in the
 * meantime is never replaced, and choices made in the Project view while it loaded are kept.
 */
export async function openDemoProject(store: StudioStore): Promise<void> {
  // Test hook, like window.__studio: what the demo is doing and how long it took.
  (window as unknown as { __demo: typeof demoStatus }).__demo = demoStatus;
  const gen = ++loadGen;
  const openAtStart = projectToken(store.getState());
  setDemoStatus({ phase: 'loading', error: null, note: null, steps: [], firstScreenMs: null });
  void modelSizes();
  try {
    let t = performance.now();
    const meta = await loadDemoMeta();
    demoStep('read dataset.json, labels.csv, corpus', performance.now() - t);
    t = performance.now();
    const prepared = await loadPreparedDemo(meta).catch((e) => {
      console.warn('demo cache not used:', e);
      return null;
    });
    let arrays: DemoArrays;
    if (prepared) {
      demoStep('read the prepared demo cache', performance.now() - t);
      arrays = prepared;
      setDemoStatus({ source: 'cache' });
    } else {
      arrays = await computeInBrowser(store, meta);
      setDemoStatus({ source: 'browser' });
    }
    t = performance.now();
    const ds0 = buildDemoDataset(meta, arrays);
    demoStep(`corpus hygiene: ${ds0.M} of ${meta.concepts.length} concepts kept`, performance.now() - t);
    t = performance.now();
    // Later tunes refit with the same settings (see DEMO_TRAINING for why the demo's λ differs).
    store.setState({ training: DEMO_TRAINING });
    const st = store.getState();
    const job = st.startJob('Distil the demo student (train worker)');
    let r;
    try {
      r = await distillDemo(ds0, DEMO_TRAINING, getEngine(), { signal: job.signal, token: job.token, onProgress: job.progress });
    } finally {
      job.finish();
    }
    demoStep(`distil the student (${ds0.split.train.length} distill images, ${ds0.M} concepts)`, performance.now() - t);
    const outcome = demoLoadOutcome(store.getState(), gen === loadGen, openAtStart);
    if (outcome.kind !== 'commit') {
      if (outcome.kind === 'keep') {
        setDemoStatus({ phase: 'idle', note: outcome.message });
        store.getState().announce(outcome.message);
      }
      return;
    }
    store.getState().commit({ type: 'load', dataset: r.dataset, ensemble: r.ensemble, label: `Distilled the demo student on ${ds0.split.train.length} images` });
    if (Object.keys(outcome.keepUi).length) store.getState().setUi(outcome.keepUi);
    const firstScreenMs = performance.now();
    setDemoStatus({ phase: 'ready', firstScreenMs, teacher: arrays.teacherDescription });
    (window as unknown as { __demoFirstScreenMs: number }).__demoFirstScreenMs = firstScreenMs;
    loadModelInBackground();
  } catch (e) {
    // A superseded load's failure is nobody's business: the newer load reports for itself.
    if (gen !== loadGen) return;
    const msg = (e as Error)?.message ?? String(e);
    setDemoStatus({ phase: 'error', error: msg });
    store.getState().announce(`The demo project did not open: ${msg}`);
    throw e;
  }
}

/** A demo project restored from a save: fill in what the Project view shows about the model. */
export function resumeDemoProject(): void {
  setDemoStatus({ phase: 'ready', note: null });
  void modelSizes();
  loadModelInBackground();
}
