/**
 * `npm run demo:prepare`: the demo project's arrays for every image of public/demo/dataset.json,
 * computed through the studio's own Node code path (tools/demo/studioPath.ts), written to
 * public/demo/cache/ in the format of src/data/demo/cache.ts (raw little-endian float32 .bin
 * files + cache.json). Deterministic: no timestamps, fixed order, CPU fp32; re-running on the
 * same inputs gives byte-identical files (`--check` verifies the committed cache instead of
 * writing).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CLASS_TEMPLATE, DEMO_MODEL, DEMO_TEACHER_DIR, MODELS, ROOT, TEMPLATE, activations, embedAndPredict, embedTexts, loadDemoModels, readCorpus, sha256Bytes, sha256File } from './studioPath.ts';
import { DEMO_ARRAY_NAMES, DEMO_CACHE_FILE, DEMO_CACHE_VERSION, float32ToLE, parseDemoCacheManifest, type DemoArrayName, type DemoCacheManifest } from '../../src/data/demo/cache.ts';
import { unloadAll } from '../../src/ml/clip.ts';

const DEMO = join(ROOT, 'public/demo');
const CORPUS = join(ROOT, 'public/corpora/inspection.txt');
const OUT = join(DEMO, 'cache');

const FILES: Record<DemoArrayName, string> = {
  imageEmbeddings: 'image_embeddings.bin',
  conceptEmbeddings: 'concept_embeddings.bin',
  classEmbeddings: 'class_embeddings.bin',
  activations: 'activations.bin',
  teacherProbabilities: 'teacher_probabilities.bin',
  labels: 'labels.bin',
};

interface DatasetJson {
  task: { classes: string[] };
  images: { id: string; file: string; set: string; condition: string | null }[];
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean' }, out: { type: 'string' } }, strict: true });
  const out = values.out ?? OUT;
  const t0 = Date.now();
  const datasetPath = join(DEMO, 'dataset.json');
  const ds = JSON.parse(readFileSync(datasetPath, 'utf8')) as DatasetJson;
  const classes = ds.task.classes;
  const corpus = readCorpus(CORPUS);
  const models = await loadDemoModels();
  const { clip, teacher } = models;
  if (teacher.labels.join('|') !== classes.join('|')) throw new Error(`the teacher's labels (${teacher.labels.join(', ')}) differ from dataset.json's classes (${classes.join(', ')})`);
  const N = ds.images.length;
  const D = clip.dim;
  process.stderr.write(`demo:prepare: ${N} images, ${corpus.length} concepts, ${classes.length} classes, ${clip.id} on ${clip.device}/${clip.dtype}, D=${D}\n`);

  const img = await embedAndPredict(models, ds.images.map((r) => join(DEMO, r.file)), (d, t) => process.stderr.write(`\r  images ${d}/${t}`));
  process.stderr.write('\n');
  const conceptEmb = await embedTexts(clip, corpus.map((c) => c.name), TEMPLATE);
  const classEmb = await embedTexts(clip, classes, CLASS_TEMPLATE);
  const raw = activations(img.embeddings, N, conceptEmb);
  const labels = Float32Array.from(ds.images, (r) => (r.condition === null ? -1 : classes.indexOf(r.condition)));
  ds.images.forEach((r, i) => {
    if (r.condition !== null && labels[i] < 0) throw new Error(`image ${r.id}: condition "${r.condition}" is not a class`);
  });

  const data: Record<DemoArrayName, { shape: number[]; values: Float32Array }> = {
    imageEmbeddings: { shape: [N, 1, D], values: img.embeddings },
    conceptEmbeddings: { shape: [corpus.length, D], values: conceptEmb.data },
    classEmbeddings: { shape: [classes.length, D], values: classEmb.data },
    activations: { shape: [N, corpus.length], values: raw.data },
    teacherProbabilities: { shape: [N, classes.length], values: img.teacher },
    labels: { shape: [N], values: labels },
  };
  const bytes = {} as Record<DemoArrayName, Uint8Array>;
  const arrays = {} as DemoCacheManifest['arrays'];
  for (const name of DEMO_ARRAY_NAMES) {
    bytes[name] = float32ToLE(data[name].values);
    arrays[name] = { file: FILES[name], shape: data[name].shape, bytes: bytes[name].byteLength, sha256: sha256Bytes(bytes[name]) };
  }
  const sets: Record<string, number> = {};
  for (const r of ds.images) sets[r.set] = (sets[r.set] ?? 0) + 1;
  const rel = (p: string) => relative(ROOT, p).split('\\').join('/');
  const modelFiles = ['onnx/vision_model.onnx', 'onnx/text_model.onnx', 'tokenizer.json', 'preprocessor_config.json'];
  const manifest: DemoCacheManifest = parseDemoCacheManifest({
    version: DEMO_CACHE_VERSION,
    generator: 'tools/demo/prepare.ts (npm run demo:prepare)',
    dtype: 'float32',
    byteOrder: 'little-endian',
    N,
    M: corpus.length,
    C: classes.length,
    D,
    model: {
      id: DEMO_MODEL,
      device: clip.device,
      dtype: clip.dtype,
      files: Object.fromEntries(modelFiles.map((f) => [`models/${DEMO_MODEL}/${f}`, sha256File(join(MODELS, DEMO_MODEL, f))])),
    },
    teacher: {
      id: 'demo-teacher',
      name: teacher.name,
      description: teacher.description.description ?? '',
      outputKind: teacher.outputKind,
      labels: [...teacher.labels],
      files: Object.fromEntries(['teacher.onnx', 'teacher.json'].map((f) => [rel(join(DEMO_TEACHER_DIR, f)), sha256File(join(DEMO_TEACHER_DIR, f))])),
    },
    template: TEMPLATE,
    classTemplate: CLASS_TEMPLATE,
    regions: { grid: 1, R: 1, pad: false },
    preprocessing: 'src/ml/preprocess.ts (PIL-exact CLIPImageProcessor: bicubic resize of the shortest edge, centre crop, CLIP mean/std); images decoded by src/data/images',
    classes,
    concepts: corpus,
    corpus: { file: rel(CORPUS), sha256: sha256File(CORPUS) },
    dataset: { file: rel(datasetPath), sha256: sha256File(datasetPath) },
    imageIds: ds.images.map((r) => r.id),
    sets,
    arrays,
  });
  const manifestText = JSON.stringify(manifest, null, 1) + '\n';

  if (values.check) {
    const old = join(out, DEMO_CACHE_FILE);
    if (!existsSync(old)) throw new Error(`${rel(old)} does not exist`);
    const bad = DEMO_ARRAY_NAMES.filter((n) => !existsSync(join(out, FILES[n])) || sha256File(join(out, FILES[n])) !== arrays[n].sha256);
    const sameManifest = readFileSync(old, 'utf8') === manifestText;
    if (bad.length || !sameManifest) {
      process.stderr.write(`demo:prepare --check: the committed cache differs (${[...bad.map((n) => FILES[n]), ...(sameManifest ? [] : [DEMO_CACHE_FILE])].join(', ')})\n`);
      return 1;
    }
    process.stderr.write(`demo:prepare --check: the committed cache matches (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    return 0;
  }
  mkdirSync(out, { recursive: true });
  for (const name of DEMO_ARRAY_NAMES) writeFileSync(join(out, FILES[name]), bytes[name]);
  writeFileSync(join(out, DEMO_CACHE_FILE), manifestText);
  const total = DEMO_ARRAY_NAMES.reduce((s, n) => s + bytes[n].byteLength, 0);
  process.stderr.write(`demo:prepare: wrote ${rel(out)}/ (${(total / 1e6).toFixed(2)} MB in ${DEMO_ARRAY_NAMES.length} arrays + ${DEMO_CACHE_FILE}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}

main().then(
  async (code) => {
    await unloadAll();
    process.exit(code);
  },
  (e) => {
    process.stderr.write(`demo:prepare: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
