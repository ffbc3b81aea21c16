// Loads models/demo-clip through transformers.js (Node, onnxruntime-node) exactly as the studio does
// and compares its embeddings with tools/demo/reference.json.
//   node tools/demo/check-transformers.mjs [modelsRoot] [reference.json] [repoRoot]
import { readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import {
  env, AutoTokenizer, AutoProcessor, CLIPTextModelWithProjection, CLIPVisionModelWithProjection, RawImage,
} from '@huggingface/transformers';

const root = resolve(process.argv[4] ?? '.');
const modelsRoot = resolve(process.argv[2] ?? join(root, 'models'));
const ref = JSON.parse(readFileSync(resolve(process.argv[3] ?? join(root, 'tools/demo/reference.json')), 'utf8'));
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = modelsRoot + '/';
const id = 'demo-clip';
const opts = { dtype: 'fp32' };

const tokenizer = await AutoTokenizer.from_pretrained(id);
const textModel = await CLIPTextModelWithProjection.from_pretrained(id, opts);
const processor = await AutoProcessor.from_pretrained(id);
const visionModel = await CLIPVisionModelWithProjection.from_pretrained(id, opts);

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const norm = (v) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
let worst = { text: 0, image: 0, pixels: 0 };

const texts = ref.texts.map((t) => t.text);
const inputs = tokenizer(texts, { padding: true, truncation: true });
const { text_embeds } = await textModel(inputs);
const ids = inputs.input_ids.tolist().map((r) => r.map(Number));
const P = text_embeds.dims[1];
ref.texts.forEach((t, i) => {
  const got = norm(Array.from(text_embeds.data.slice(i * P, (i + 1) * P)));
  const tokOk = JSON.stringify(ids[i].slice(0, t.input_ids.length)) === JSON.stringify(t.input_ids);
  const d = maxDiff(got, t.text_embeds);
  worst.text = Math.max(worst.text, d);
  console.log(`text  "${t.text}": ids ${tokOk ? 'match' : 'DIFFER ' + JSON.stringify(ids[i]) + ' vs ' + JSON.stringify(t.input_ids)}, max |diff| ${d.toExponential(2)}`);
  if (!tokOk) process.exitCode = 1;
});

for (const im of ref.images) {
  const image = await RawImage.read(join(root, im.file));
  const px = await processor(image);
  const { image_embeds } = await visionModel(px);
  const got = norm(Array.from(image_embeds.data));
  const d = maxDiff(got, im.image_embeds);
  const pv = px.pixel_values;
  const hw = pv.dims[2] * pv.dims[3];
  const means = [0, 1, 2].map((c) => pv.data.slice(c * hw, (c + 1) * hw).reduce((s, v) => s + v, 0) / hw);
  const dp = maxDiff(means, im.pixel_mean_per_channel);
  worst.image = Math.max(worst.image, d);
  worst.pixels = Math.max(worst.pixels, dp);
  const cos = got.reduce((s, v, i) => s + v * im.image_embeds[i], 0);
  console.log(`image ${im.file}: dims ${pv.dims}, pixel-mean diff ${dp.toExponential(2)}, embed max |diff| ${d.toExponential(2)}, cos ${cos.toFixed(5)}`);
}
console.log('worst', worst);
if (worst.text > 1e-4) process.exitCode = 1;

// Zero-shot condition accuracy on the committed demo images, computed entirely through
// transformers.js (its own JPEG decoding and resizing), to compare with tools/demo/evaluate.py.
const ds = JSON.parse(readFileSync(join(root, 'public/demo/dataset.json'), 'utf8'));
const classes = ds.task.classes;
const cin = tokenizer(classes.map((c) => `a photo of a ${c}`), { padding: true, truncation: true });
const ct = (await textModel(cin)).text_embeds;
const D = ct.dims[1];
const protos = classes.map((_, k) => norm(Array.from(ct.data.slice(k * D, (k + 1) * D))));
const acc = {};
for (const r of ds.images) {
  if (r.condition == null || r.set === 'ood') continue;
  const image = await RawImage.read(join(root, 'public/demo', r.file));
  const { image_embeds } = await visionModel(await processor(image));
  const e = norm(Array.from(image_embeds.data));
  let best = 0, bestS = -2;
  protos.forEach((p, k) => { const s = p.reduce((t, v, i) => t + v * e[i], 0); if (s > bestS) { bestS = s; best = k; } });
  const a = (acc[r.set] ??= { n: 0, ok: 0 });
  a.n += 1; a.ok += classes[best] === r.condition ? 1 : 0;
}
for (const [k, a] of Object.entries(acc)) console.log(`zero-shot condition accuracy via transformers.js, ${k}: ${(a.ok / a.n).toFixed(4)} (n=${a.n})`);
