import { basename } from 'node:path';
import type { Command } from './command.ts';
import { parse, num } from './command.ts';
import { CliError, readNames, writeAtomic } from './io.ts';
import { readActivations, readLabels, readTeacher } from './inputs.ts';
import { distill as runDistill, DEFAULT_HOLDOUT, DEFAULT_MEMBERS } from '../../src/core/pipeline/distill.ts';
import { DEFAULT_LAMBDA } from '../../src/core/student/fit.ts';
import { createSession, dispatch, emptyProject } from '../../src/core/project/index.ts';
import { exportSession } from '../../src/core/project/export.ts';
import { serializeStudentExport } from '../../src/core/schema/build.ts';
import { takeRows } from '../../src/core/math/linalg.ts';
import { cliKernel, describeMetrics, progressLine } from './shared.ts';

const USAGE = `usage: concept-studio distill --activations A.npy --teacher P.npy --concepts concepts.txt --classes classes.txt
                             [--labels y.npy] [--members 20] [--lambda 1e-4] [--seed 0] [--holdout 0.2] --out student.json

  --activations  N×M float32 raw concept activations (before standardisation), one column per concept
  --teacher      N×C teacher probabilities, or a vector of N teacher labels (class indices)
  --concepts     M concept names, one per line (optionally "name<TAB>category")
  --classes      C class names, one per line
  --labels       optional N ground-truth class indices (−1 = unknown), for accuracy
  --members      bootstrap ensemble size (default ${DEFAULT_MEMBERS})
  --lambda       L1 strength (default ${DEFAULT_LAMBDA})
  --holdout      share of images held out for the metrics (default ${DEFAULT_HOLDOUT})
  --out          the student export (JSON), written only if everything succeeded`;

export const distill: Command = {
  name: 'distill',
  summary: 'distil a student from concept activations and teacher outputs',
  usage: USAGE,
  async run(argv) {
    const { values: v } = parse(
      argv,
      {
        activations: { type: 'string' },
        teacher: { type: 'string' },
        concepts: { type: 'string' },
        classes: { type: 'string' },
        labels: { type: 'string' },
        members: { type: 'string' },
        lambda: { type: 'string' },
        seed: { type: 'string' },
        holdout: { type: 'string' },
        out: { type: 'string' },
        quiet: { type: 'boolean' },
      },
      ['activations', 'teacher', 'concepts', 'classes', 'out'],
    );
    const members = num(v.members, 'members', DEFAULT_MEMBERS, 1, 1000);
    if (!Number.isInteger(members)) throw new CliError(`--members must be a whole number, got "${v.members}"`);
    const lambda = num(v.lambda, 'lambda', DEFAULT_LAMBDA, 0);
    const seed = num(v.seed, 'seed', 0, 0, 2 ** 31);
    const holdout = num(v.holdout, 'holdout', DEFAULT_HOLDOUT, 0.01, 0.9);

    const concepts = readNames(v.concepts!, 'concepts');
    const classes = readNames(v.classes!, 'classes');
    const conceptsFile = basename(v.concepts!);
    const raw = readActivations(v.activations!, concepts.names.length, conceptsFile);
    const teacher = readTeacher(v.teacher!, raw.rows, classes.names.length, basename(v.classes!));
    const labels = v.labels ? readLabels(v.labels, raw.rows, classes.names.length) : undefined;
    if (raw.rows < 10) throw new CliError(`only ${raw.rows} images: distillation needs at least 10`);

    const result = await runDistill(
      { raw, teacher, labels, members, lambda, seed, holdout },
      { kernel: await cliKernel(), onProgress: v.quiet ? undefined : progressLine() },
    );
    if (!v.quiet) process.stderr.write('\n');

    const now = Date.now();
    let session = createSession(
      emptyProject(
        classes.names.map((name) => ({ name })),
        concepts.names.map((name, j) => (concepts.categories[j] ? { name, category: concepts.categories[j]! } : { name })),
      ),
      now,
    );
    session = dispatch(session, { type: 'teacherChange', teacher: { kind: 'file', name: basename(v.teacher!) } }, now);
    session = dispatch(session, { type: 'distill', ensemble: result.ensemble, stats: result.stats, lambda, metricsAfter: result.metrics }, now);
    // A few held-out images become the check block, so any re-implementation can prove itself.
    const checkRows = result.split.heldOut.slice(0, 4);
    const doc = exportSession(session, {
      generator: 'concept-studio CLI',
      model: { id: 'precomputed-activations', embeddingDim: null },
      prompts: { templates: ['a photo of {concept}'] },
      regions: { grid: 1, overlap: 0 },
      splits: { distill: result.split.train.length, heldOut: result.split.heldOut.length },
      training: { lambda, members, seed, heldOutFraction: holdout },
      checkActivations: { raw: takeRows(raw, checkRows), ids: Array.from(checkRows, (i) => `image ${i}`) },
    });
    writeAtomic(v.out!, serializeStudentExport(doc));

    process.stdout.write(describeMetrics(result.metrics, labels !== undefined) + '\n');
    process.stdout.write(`wrote ${v.out} (${classes.names.length} classes × ${concepts.names.length} concepts, ${members} members)\n`);
  },
};


