/**
 * `npx tsx tools/demo/shift.ts [--members 20] [--images N] [--prompts "a;b;c"] [--json]`:
 * domain-aware concept calibration and the shift simulator (METHODS §8) measured on the bundled
 * demo, through the studio's own code: the demo student (src/state/demoProject), domain prompts
 * embedded by the demo CLIP (src/workers/embedApi in-process, as the embed worker runs it), the
 * simulator's corruptions (src/data/images/corrupt) re-embedded through the same
 * decode → corrupt → preprocess → vision-tower path, and src/core/calibration's evaluation.
 *
 * Prints, for calibration off / source statistics / test-time statistics (the unlabelled batch
 * is the evaluated batch itself): accuracy and fidelity on the demo's in-domain sets (holdout,
 * test), on its own 'shifted' set (night, heavy haze, strong glare; each condition one batch),
 * and on the simulator (holdout images × 5 corruptions × 5 severities), plus the share of shifted
 * images the OOD flag calls unfamiliar under both scores (thresholds: 95 % of holdout pass,
 * set without calibration).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDemoFromDisk } from './demoFromDisk.ts';
import { buildDemoDataset, distillDemo, DEMO_TRAINING } from '../../src/state/demoProject.ts';
import { inProcessEngine } from '../../src/state/engine.ts';
import { sessionFor } from '../../src/state/project.ts';
import { defaultOodSettings } from '../../src/state/ood.ts';
import { DEMO_DOMAIN_PROMPTS } from '../../src/state/domain.ts';
import { createEmbedApi } from '../../src/workers/embedApi.ts';
import { decodeImage } from '../../src/data/images/index.ts';
import { corrupt, CORRUPTIONS, SEVERITIES, type Corruption } from '../../src/data/images/corrupt.ts';
import { domainConceptStats, domainPosterior, DOMAIN_TEMPERATURE, evaluateShiftBatch, likeliestDomain, type ShiftContext, type ShiftResult } from '../../src/core/calibration/index.ts';
import type { Mat } from '../../src/core/types.ts';

const ROOT = join(import.meta.dirname, '../..');

function takeImages(e: { R: number; D: number; data: Float32Array }, rows: ArrayLike<number>) {
  const per = e.R * e.D;
  const data = new Float32Array(rows.length * per);
  for (let k = 0; k < rows.length; k++) data.set(e.data.subarray(rows[k] * per, (rows[k] + 1) * per), k * per);
  return { N: rows.length, R: e.R, D: e.D, data };
}

async function main() {
  const { values: v } = parseArgs({ options: { members: { type: 'string' }, images: { type: 'string' }, prompts: { type: 'string' }, json: { type: 'boolean' } } });
  const prompts = v.prompts ? v.prompts.split(';').map((s) => s.trim()).filter(Boolean) : DEMO_DOMAIN_PROMPTS;
  const { meta, arrays } = await loadDemoFromDisk();
  const ds0 = buildDemoDataset(meta, arrays);
  const training = { ...DEMO_TRAINING, members: Number(v.members ?? DEMO_TRAINING.members) };
  const r = await distillDemo(ds0, training, inProcessEngine, { signal: new AbortController().signal, token: { aborted: false }, onProgress: () => undefined });
  const ds = r.dataset;
  const session = sessionFor(ds, r.ensemble, r.metrics, 'demo', 0);
  const emb = ds.imageEmbeddings!;
  const all = { N: ds.N, R: emb.R, D: emb.D, data: emb.data };

  const api = createEmbedApi({
    decode: (b, n) => decodeImage(b, n),
    hash: async () => '',
    openCache: async () => ({ getMany: async (k) => k.map(() => undefined), putMany: async () => undefined }),
    cacheKey: () => '',
    corrupt: (img, spec) => corrupt(img, { ...spec, kind: spec.kind as Corruption }),
  });
  await api.load({ model: 'demo-clip', localModelPath: join(ROOT, 'models') + '/', device: 'cpu', dtype: 'fp32', selfCheck: false });
  const domainText: Mat = { rows: prompts.length, cols: emb.D, data: await api.embedTexts(prompts, ['{}']) };

  // Source statistics per domain: π-weighted over the distillation split.
  const train = ds.split.train;
  const piTrain = domainPosterior(all, domainText, DOMAIN_TEMPERATURE, train);
  const source = domainConceptStats(ds.raw, piTrain, train);
  const ood = (score: 'mcm' | 'mcm-student') => {
    const o = defaultOodSettings(ds, session, score)!;
    return { score, tau: o.tau, threshold: o.threshold, classText: ds.classText };
  };
  const ctx = (score: 'mcm' | 'mcm-student'): ShiftContext => ({
    student: r.ensemble.served, stats: ds.stats, conceptText: ds.conceptText!, domainText, temperature: DOMAIN_TEMPERATURE, source, ood: ood(score),
  });
  const ctxs = { mcm: ctx('mcm'), student: ctx('mcm-student') };
  const labels = ds.labels!;
  const evalRows = (rows: ArrayLike<number>, images = takeImages(emb, rows), reference = Array.from(rows, (i) => ds.teacherPred[i])) => {
    const batch = { images, labels: Array.from(rows, (i) => labels[i]), reference };
    return { mcm: evaluateShiftBatch(ctxs.mcm, batch), student: evaluateShiftBatch(ctxs.student, batch) };
  };
  const rowsOf = (name: string, pred?: (k: number) => boolean) => {
    const s = meta.setNames.indexOf(name);
    const out: number[] = [];
    meta.setOf.forEach((x, i) => (x === s && (!pred || pred(i)) ? out.push(i) : undefined));
    return out;
  };
  const info = JSON.parse(readFileSync(join(ROOT, 'public/demo/dataset.json'), 'utf8')) as { images: { id: string; lighting: string }[] };
  const lighting = new Map(info.images.map((x) => [x.id, x.lighting]));
  const rows: { what: string; r: { mcm: ShiftResult; student: ShiftResult } }[] = [];
  for (const set of ['holdout', 'test', 'shifted']) rows.push({ what: `set ${set}`, r: evalRows(rowsOf(set)) });
  for (const cond of ['night', 'heavy haze', 'strong glare']) rows.push({ what: `shifted: ${cond}`, r: evalRows(rowsOf('shifted', (i) => lighting.get(meta.ids[i]) === cond)) });

  // How the posterior reads the demo's lighting: the likeliest domain per true lighting.
  const piAll = likeliestDomain(domainPosterior(all, domainText, DOMAIN_TEMPERATURE));
  const confusion = new Map<string, number[]>();
  meta.ids.forEach((id, i) => {
    const l = lighting.get(id) ?? '?';
    const c = confusion.get(l) ?? new Array(prompts.length).fill(0);
    c[piAll[i]]++;
    confusion.set(l, c);
  });

  // Simulator: held-out images × corruptions × severities, re-embedded.
  let hold = rowsOf('holdout');
  if (v.images) hold = hold.slice(0, Number(v.images));
  const files = hold.map((i) => ({ id: meta.ids[i], bytes: new Uint8Array(readFileSync(join(ROOT, 'public', meta.urls[i].replace(/^\//, '')))) }));
  const specs = CORRUPTIONS.flatMap((kind) => SEVERITIES.map((severity) => ({ kind, severity, seed: 0 })));
  const t0 = performance.now();
  const sh = await api.embedShifted(files, specs, { grid: 1 });
  const secs = (performance.now() - t0) / 1000;
  if (sh.errors.length) throw new Error(`${sh.errors.length} images failed: ${sh.errors[0].message}`);
  const K = sh.K;
  const per = sh.R * sh.D;
  const sim: { kind: string; severity: number; r: { mcm: ShiftResult; student: ShiftResult } }[] = [];
  specs.forEach((spec, k) => {
    const data = new Float32Array(hold.length * per);
    for (let i = 0; i < hold.length; i++) data.set(sh.embeddings.subarray((i * K + k) * per, (i * K + k + 1) * per), i * per);
    sim.push({ kind: spec.kind, severity: spec.severity, r: evalRows(hold, { N: hold.length, R: sh.R, D: sh.D, data }) });
  });

  if (v.json) {
    const strip = (x: ShiftResult) => ({ note: x.note, ...Object.fromEntries((['off', 'source', 'testTime'] as const).map((m) => [m, x[m] ? { n: x[m]!.n, accuracy: x[m]!.accuracy, fidelity: x[m]!.fidelity, flagged: x[m]!.flagged } : null])) });
    process.stdout.write(JSON.stringify({ prompts, members: training.members, sets: rows.map((x) => ({ what: x.what, mcm: strip(x.r.mcm), student: strip(x.r.student) })), simulator: sim.map((x) => ({ kind: x.kind, severity: x.severity, mcm: strip(x.r.mcm), student: strip(x.r.student) })) }, null, 2) + '\n');
    return;
  }
  const pct = (x: number | null | undefined) => (x == null ? '   – ' : `${(100 * x).toFixed(1).padStart(5)}`);
  const line = (what: string, x: { mcm: ShiftResult; student: ShiftResult }) => {
    const m = x.student;
    const t = m.testTime;
    return `${what.padEnd(22)} ${String(m.off.n).padStart(4)} | acc ${pct(m.off.accuracy)} ${pct(m.source.accuracy)} ${pct(t?.accuracy)} | fid ${pct(m.off.fidelity)} ${pct(m.source.fidelity)} ${pct(t?.fidelity)} | OOD class ${pct(x.mcm.off.flagged)} | OOD student ${pct(m.off.flagged)} ${pct(m.source.flagged)} ${pct(t?.flagged)}\n`;
  };
  const out = process.stdout;
  out.write(`Domain-aware calibration on the demo (student: ${training.members} members, λ = ${training.lambda}; T = ${DOMAIN_TEMPERATURE}; prompts: ${prompts.map((p) => `"${p}"`).join(', ')})\n`);
  out.write('Likeliest domain per true lighting:\n');
  for (const [l, c] of confusion) out.write(`  ${l.padEnd(13)} ${c.map((n, d) => `${prompts[d].replace('a photo ', '')}: ${n}`).join(', ')}\n`);
  out.write('Columns: accuracy and fidelity (%) with calibration off | source | test-time; share flagged as unfamiliar (%): class-prompt MCM (calibration does not change it) and student-prototype MCM off | source | test-time.\n');
  out.write('Fidelity: agreement with the teacher on the real sets; on the simulator with the teacher on the clean image.\n\n');
  for (const x of rows) out.write(line(x.what, x.r));
  out.write(`\nSimulator: ${hold.length} holdout images × ${CORRUPTIONS.length} corruptions × ${SEVERITIES.length} severities, re-embedded in ${secs.toFixed(1)} s (demo CLIP, onnxruntime-node, 1 process).\n`);
  out.write(line('clean (holdout)', rows[0].r));
  for (const x of sim) out.write(line(`${x.kind} ${x.severity}`, x.r));
  const meanOf = (m: 'off' | 'source' | 'testTime') => sim.reduce((s, x) => s + (x.r.student[m]?.accuracy ?? 0), 0) / sim.length;
  out.write(`\nMean simulator accuracy: off ${pct(meanOf('off'))}, source ${pct(meanOf('source'))}, test-time ${pct(meanOf('testTime'))}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
