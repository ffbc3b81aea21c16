/**
 * `npx tsx tools/demo/blackbox.ts [--seeds 3] [--members 20] [--json]`: the black-box teacher
 * (METHODS §8) measured on the bundled demo — held-out fidelity reached after 25, 50, 100, 200
 * and 400 queries, asking the images the student is least certain about first (smallest logit
 * margin, core/teacher/http.ts) vs in random order.
 *
 * The teacher is the demo's own (models/demo-teacher, run through the studio's Node teacher path
 * src/ml/teacherNode.ts on the decoded image files) behind a mock HTTP endpoint on 127.0.0.1
 * (tools/demo/mockTeacher.ts); the studio's client (src/data/teacher/httpClient.ts) asks it
 * with the demo JPEG files as JSON/base64, exactly as the browser does. Activations are the demo's
 * prepared arrays (tools/demo/demoFromDisk.ts), concepts after the studio's hygiene.
 *
 * Protocol, per seed and order: the first 25 queries are random (there is no student yet); after
 * each checkpoint the student is distilled (core pipeline, the studio's defaults) on the answered
 * distillation images, and the next queries are chosen with that student, until the next
 * checkpoint. Only distillation-split images are asked. Fidelity is measured on all 300
 * 'holdout' images against the teacher's own answers on them (computed directly, not counted as
 * queries — in the studio a share of the budget goes to held-out images instead).
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDemoFromDisk } from './demoFromDisk.ts';
import { DEMO_TEACHER_DIR, ROOT } from './studioPath.ts';
import { startMockTeacher } from './mockTeacher.ts';
import { buildDemoDataset, DEMO_TRAINING } from '../../src/state/demoProject.ts';
import { decodeImage } from '../../src/data/images/index.ts';
import { loadOnnxTeacherNode } from '../../src/ml/teacherNode.ts';
import { distill } from '../../src/core/pipeline/distill.ts';
import { argmaxRows, logits } from '../../src/core/math/linalg.ts';
import { standardise } from '../../src/core/concepts/stats.ts';
import { logitMargins, parseHttpTeacherConfig, planQueries } from '../../src/core/teacher/http.ts';
import { runHttpTeacher, type TeacherImage } from '../../src/data/teacher/httpClient.ts';
import type { Mat } from '../../src/core/types.ts';

const CHECKPOINTS = [25, 50, 100, 200, 400];

async function main() {
  const { values: v } = parseArgs({ options: { seeds: { type: 'string' }, members: { type: 'string' }, json: { type: 'boolean' } } });
  const seeds = Number(v.seeds ?? 3);
  const members = Number(v.members ?? DEMO_TRAINING.members);
  const { meta, arrays } = await loadDemoFromDisk();
  const ds = buildDemoDataset(meta, arrays);
  const { N, C } = ds;
  const train = ds.split.train;
  const heldOut = ds.split.heldOut;

  // The demo teacher through the studio's Node teacher path, on the image files.
  const teacher = await loadOnnxTeacherNode(new Uint8Array(readFileSync(join(DEMO_TEACHER_DIR, 'teacher.onnx'))), readFileSync(join(DEMO_TEACHER_DIR, 'teacher.json'), 'utf8'));
  const files: TeacherImage[] = meta.urls.map((u, i) => ({ index: i, name: u.split('/').pop()!, bytes: new Uint8Array(readFileSync(join(ROOT, 'public', u.replace(/^\//, '')))), type: 'image/jpeg' }));
  const runTeacher = async (bytes: Uint8Array) => teacher.predict([await decodeImage(bytes, 'image.jpg')]);
  const memo = new Map<string, Float32Array>();
  const mock = await startMockTeacher(async (_path, img, sha) => {
    let p = memo.get(sha);
    if (!p) memo.set(sha, (p = await runTeacher(new Uint8Array(img))));
    return { json: { probabilities: Object.fromEntries(meta.classes.map((c, k) => [c, p![k]])) } };
  });

  // Reference answers on the held-out images (for measuring fidelity only), and a check that
  // this path gives what the prepared cache holds.
  const truth = new Float32Array(N * C);
  let maxDiff = 0;
  for (const i of heldOut) {
    const p = await runTeacher(files[i].bytes);
    truth.set(p, i * C);
    for (let c = 0; c < C; c++) maxDiff = Math.max(maxDiff, Math.abs(p[c] - ds.teacher.data[i * C + c]));
  }

  const config = (budget: number) => parseHttpTeacherConfig({
    url: mock.url, request: { format: 'json-base64' }, response: { kind: 'probabilities', path: 'probabilities' },
    budget, ratePerSecond: 1000, concurrency: 8, timeoutMs: 30_000, retries: 0,
  });

  type Row = { order: string; seed: number; queries: number; fidelity: number; accuracy: number | null };
  const rows: Row[] = [];
  let sent = 0;
  for (const order of ['uncertain-first', 'random'] as const) {
    for (let seed = 0; seed < seeds; seed++) {
      const answers = new Map<number, Float32Array>();
      let margins: Float64Array | null = null;
      for (const q of CHECKPOINTS) {
        const want = q - answers.size;
        // No student before the first checkpoint: random; afterwards the chosen order.
        const plan = planQueries({
          train, heldOut: [], answered: (i) => answers.has(i), budget: want, seed: 1000 * seed + q,
          order: order === 'uncertain-first' && margins ? 'uncertain-first' : 'random', ...(margins ? { margins } : {}),
        });
        const before = mock.requests.length;
        const s = await runHttpTeacher(config(want), meta.classes, plan.map((i) => files[i]), { fetch }, new AbortController().signal, {
          onAnswer: (img, probs) => void answers.set(img.index, probs),
        });
        if (s.answered !== want || mock.requests.length - before !== want) throw new Error(`asked ${mock.requests.length - before} for ${want} new answers (${s.failed} failed)`);
        sent += want;
        // Distil on the answered distillation images; held-out rows carry the reference answers.
        const data = truth.slice();
        for (const [i, p] of answers) data.set(p, i * C);
        const split = { train: Int32Array.from([...answers.keys()].sort((a, b) => a - b)), heldOut };
        const r = await distill({ raw: ds.raw, teacher: { rows: N, cols: C, data }, labels: ds.labels ?? undefined, split, members, lambda: DEMO_TRAINING.lambda, seed: DEMO_TRAINING.seed });
        rows.push({ order, seed, queries: q, fidelity: r.metrics.fidelity, accuracy: r.metrics.accuracy });
        const Z: Mat = logits(standardise(ds.raw, r.stats), r.ensemble.served);
        margins = logitMargins(N, C, (i, c) => Z.data[i * C + c]);
      }
    }
  }
  // All 720 distillation images answered: the ceiling.
  const full = await distill({ raw: ds.raw, teacher: ds.teacher, labels: ds.labels ?? undefined, split: ds.split, members, lambda: DEMO_TRAINING.lambda, seed: DEMO_TRAINING.seed });
  await mock.close();
  await teacher.dispose();

  const stat = (xs: number[]) => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
    return { mean: m, sd };
  };
  const table = CHECKPOINTS.map((q) => {
    const of = (o: string) => stat(rows.filter((r) => r.order === o && r.queries === q).map((r) => r.fidelity));
    const acc = (o: string) => stat(rows.filter((r) => r.order === o && r.queries === q).map((r) => r.accuracy ?? NaN));
    return { queries: q, uncertain: of('uncertain-first'), random: of('random'), accUncertain: acc('uncertain-first'), accRandom: acc('random') };
  });
  if (v.json) {
    console.log(JSON.stringify({ seeds, members, heldOut: heldOut.length, distillPool: train.length, requests: sent, teacherPathMaxAbsDiffVsCache: maxDiff, table, all: { queries: train.length, fidelity: full.metrics.fidelity, accuracy: full.metrics.accuracy }, rows }, null, 1));
    return;
  }
  const pct = (x: { mean: number; sd: number }) => `${(100 * x.mean).toFixed(1)} ± ${(100 * x.sd).toFixed(1)} %`;
  console.log(`Black-box teacher on the demo: held-out fidelity (n = ${heldOut.length} 'holdout' images) vs queries, mean ± sd over ${seeds} seeds, ${members} members.`);
  console.log(`Teacher: models/demo-teacher via src/ml/teacherNode.ts behind a mock endpoint; ${sent} requests sent in all (max |p − cache| on held-out ${maxDiff.toExponential(1)}).`);
  console.log('');
  console.log('queries | uncertain-first fidelity | random fidelity   | Δ (points) | accuracy unc. / random');
  console.log('--------|--------------------------|-------------------|------------|-----------------------');
  for (const t of table) {
    console.log(`${String(t.queries).padStart(7)} | ${pct(t.uncertain).padStart(24)} | ${pct(t.random).padStart(17)} | ${(100 * (t.uncertain.mean - t.random.mean)).toFixed(1).padStart(10)} | ${(100 * t.accUncertain.mean).toFixed(1)} / ${(100 * t.accRandom.mean).toFixed(1)} %`);
  }
  console.log(`${String(train.length).padStart(7)} | all distillation images answered: fidelity ${(100 * full.metrics.fidelity).toFixed(1)} %, accuracy ${full.metrics.accuracy == null ? '—' : (100 * full.metrics.accuracy).toFixed(1) + ' %'}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
