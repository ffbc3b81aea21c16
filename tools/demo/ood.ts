/**
 * `npx tsx tools/demo/ood.ts [--members 20] [--json]`: the unfamiliar-image flag (METHODS §8) measured
 * on the bundled demo (prepared arrays in public/demo/cache): both MCM scores — class prompts
 * "a photo of a {class}" and the distilled student's prototypes — as AUROC and FPR95 (with
 * 95 % bootstrap CIs, 1000 resamples, seed 0) of the in-distribution sets 'holdout' and 'test'
 * against the 'ood' set, plus the share of each set flagged at the studio's default threshold
 * (95 % of holdout images pass). Uses the studio's own code (src/state, src/core/ood).
 */
import { loadDemoFromDisk } from './demoFromDisk.ts';
import { parseArgs } from 'node:util';
import { buildDemoDataset, distillDemo, DEMO_TRAINING } from '../../src/state/demoProject.ts';
import { inProcessEngine } from '../../src/state/engine.ts';
import { sessionFor } from '../../src/state/project.ts';
import { oodScores, defaultOodSettings, pick } from '../../src/state/ood.ts';
import { evaluateOod, passRate } from '../../src/core/ood/index.ts';


async function main() {
  const { values: v } = parseArgs({ options: { members: { type: 'string' }, json: { type: 'boolean' } } });
  const { meta, arrays } = await loadDemoFromDisk();
  const ds0 = buildDemoDataset(meta, arrays);
  const training = { ...DEMO_TRAINING, members: Number(v.members ?? DEMO_TRAINING.members) };
  const r = await distillDemo(ds0, training, inProcessEngine, { signal: new AbortController().signal, token: { aborted: false }, onProgress: () => undefined });
  const ds = r.dataset;
  const session = sessionFor(ds, r.ensemble, r.metrics, 'demo', 0);
  const setRows = (name: string) => {
    const k = meta.setNames.indexOf(name);
    const out: number[] = [];
    meta.setOf.forEach((s, i) => (s === k ? out.push(i) : undefined));
    return out;
  };
  const sets = Object.fromEntries(['holdout', 'test', 'shifted', 'ood'].map((n) => [n, setRows(n)]));
  const results: Record<string, unknown>[] = [];
  for (const kind of ['mcm', 'mcm-student'] as const) {
    const s = oodScores(ds, session, kind)!;
    const lambda = defaultOodSettings(ds, session, kind)!.threshold;
    const flagged = Object.fromEntries(Object.entries(sets).map(([n, rows]) => [n, 1 - passRate(pick(s, rows), lambda)]));
    for (const idSet of ['holdout', 'test'] as const) {
      const e = evaluateOod(pick(s, sets[idSet]), pick(s, sets.ood), { resamples: 1000, seed: 0 });
      results.push({ score: kind, id: idSet, nId: e.nId, nOod: e.nOod, auroc: e.auroc, fpr95: e.fpr95, threshold: lambda, flagged });
    }
  }
  if (v.json) {
    process.stdout.write(JSON.stringify({ members: training.members, results }, null, 2) + '\n');
    return;
  }
  const f = (x: { value: number; lo: number; hi: number }) => `${x.value.toFixed(3)} [${x.lo.toFixed(3)}, ${x.hi.toFixed(3)}]`;
  process.stdout.write(`demo OOD flag (student: ${training.members} members, λ = ${training.lambda}; ID vs set 'ood', 1000 bootstrap resamples, seed 0)\n`);
  for (const x of results as { score: string; id: string; nId: number; nOod: number; auroc: never; fpr95: never }[]) {
    process.stdout.write(`  ${x.score.padEnd(11)} ${x.id.padEnd(7)} (n ${x.nId} vs ${x.nOod})  AUROC ${f(x.auroc)}  FPR95 ${f(x.fpr95)}\n`);
  }
  for (const x of results.filter((_, k) => k % 2 === 0) as { score: string; threshold: number; flagged: Record<string, number> }[]) {
    process.stdout.write(`  ${x.score}: λ = ${x.threshold.toFixed(4)} (95 % of holdout pass); flagged: ${Object.entries(x.flagged).map(([n, p]) => `${n} ${(100 * p).toFixed(1)} %`).join(', ')}\n`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
