import { basename } from 'node:path';
import type { Command } from './command.ts';
import { parse, num } from './command.ts';
import { CliError, writeAtomic } from './io.ts';
import { readActivations, readLabels, readTeacher, lookupName } from './inputs.ts';
import { readStudent } from './student.ts';
import { cliKernel, describeMetrics, points, progressLine } from './shared.ts';
import { distillSplit, predictAll, tune as runTune } from '../../src/core/pipeline/distill.ts';
import { standardise } from '../../src/core/concepts/stats.ts';
import { computeMetrics } from '../../src/core/metrics/metrics.ts';
import { argmaxRows } from '../../src/core/math/linalg.ts';
import { tuneBox, type TuneAction } from '../../src/core/tuning/bounds.ts';
import { emptyProject, tuneLabel, type TuneOp } from '../../src/core/project/index.ts';
import { replaceStudent } from '../../src/core/schema/update.ts';
import { serializeStudentExport } from '../../src/core/schema/build.ts';
import { DEFAULT_TUNE_FACTOR } from '../../src/core/tuning/bounds.ts';

const OPS: TuneOp[] = ['uptune', 'downtune', 'remove', 'ban'];

const USAGE = `usage: concept-studio tune --student student.json --activations A.npy --teacher P.npy
                          --class NAME|all --concept NAME --op uptune|downtune|remove|ban [--factor 2]
                          [--labels y.npy] --out s2.json

  Bounds one weight (or one concept for all classes) as METHODS.md §5 describes and refits every
  ensemble member inside the bounds on the same split and resamples as the original distillation;
  earlier tuning bounds stay in force. Prints Δfidelity, Δaccuracy and the flipped images.
  --activations and --teacher must be the files the student was distilled from.`;

export const tune: Command = {
  name: 'tune',
  summary: 'uptune, downtune, remove or ban a concept and refit',
  usage: USAGE,
  async run(argv) {
    const { values: v } = parse(
      argv,
      {
        student: { type: 'string' },
        activations: { type: 'string' },
        teacher: { type: 'string' },
        labels: { type: 'string' },
        class: { type: 'string' },
        concept: { type: 'string' },
        op: { type: 'string' },
        factor: { type: 'string' },
        out: { type: 'string' },
        quiet: { type: 'boolean' },
      },
      ['student', 'activations', 'teacher', 'class', 'concept', 'op', 'out'],
    );
    const op = v.op as TuneOp;
    if (!OPS.includes(op)) throw new CliError(`--op must be one of ${OPS.join(', ')}, got "${v.op}"`);
    const factor = num(v.factor, 'factor', DEFAULT_TUNE_FACTOR);
    if ((op === 'uptune' || op === 'downtune') && !(factor > 1)) throw new CliError(`--factor must be a number above 1, got ${v.factor}`);

    const { doc, student } = readStudent(v.student!);
    const classNames = doc.classes.map((c) => c.name);
    const conceptNames = doc.concepts.map((c) => c.name);
    const c = v.class!.trim().toLowerCase() === 'all' ? ('all' as const) : lookupName(v.class!, classNames, 'class');
    if (c === 'all' && op !== 'ban') throw new CliError(`--class all works with --op ban only; ${op} one class at a time`);
    const j = lookupName(v.concept!, conceptNames, 'concept');
    if (!student.training) throw new CliError(`student ${basename(v.student!)} does not record how it was trained (no "training" block), so its split cannot be rebuilt`);
    const { seed, heldOutFraction, lambda } = student.training;

    const what = `${basename(v.student!)} (which has ${student.M} concepts)`;
    const raw = readActivations(v.activations!, student.M, what);
    const teacher = readTeacher(v.teacher!, raw.rows, student.C, basename(v.student!));
    const labels = v.labels ? readLabels(v.labels, raw.rows, student.C) : undefined;
    const split = distillSplit(teacher, heldOutFraction, seed);
    if (split.train.length !== doc.metrics.splits.distill) {
      throw new CliError(`these activations and teacher give a distillation split of ${split.train.length} images, but the student was distilled on ${doc.metrics.splits.distill}: use the files it was distilled from`);
    }

    const served = student.ensemble.served;
    const action: TuneAction =
      op === 'ban' ? { kind: 'ban', j, c } : op === 'remove' ? { kind: 'remove', c: c as number, j } : { kind: op, c: c as number, j, factor };
    // Earlier tunes' bounds stay in force; a new bound on the same weight replaces the old one.
    const { box, bounds } = tuneBox([action], served, student.box ?? undefined);

    const teacherLabels = argmaxRows(teacher);
    const before = predictAll(standardise(raw, student.stats), student.ensemble);
    const beforeMetrics = computeMetrics(before, teacherLabels, student.C, labels, split.heldOut);
    const result = await runTune(
      { raw, teacher, labels, stats: student.stats, split, current: student.ensemble, bounds: box, lambda, seed },
      { kernel: await cliKernel(), onProgress: v.quiet ? undefined : progressLine() },
    );
    if (!v.quiet) process.stderr.write('\n');

    const flipped = Array.from(split.heldOut)
      .filter((i) => before[i] !== result.predictions[i])
      .map((i) => ({ image: i, from: before[i], to: result.predictions[i] }));
    const label = tuneLabel(emptyProject(doc.classes, doc.concepts), op, c, j, factor);
    const next = replaceStudent(doc, {
      ensemble: result.ensemble,
      heldOut: result.metrics,
      box,
      node: { action: 'tune', params: { op, class: c, concept: j, factor }, label, metricsAfter: result.metrics, flipped, time: Date.now() },
    });
    writeAtomic(v.out!, serializeStudentExport(next));

    const dAcc = result.metrics.accuracy !== null && beforeMetrics.accuracy !== null ? result.metrics.accuracy - beforeMetrics.accuracy : null;
    const out = [
      label,
      `bounded ${bounds.length} weight${bounds.length === 1 ? '' : 's'}; refitted ${result.ensemble.members.length} members`,
      describeMetrics(result.metrics, labels !== undefined),
      `Δfidelity ${points(result.metrics.fidelity - beforeMetrics.fidelity)}` + (dAcc !== null ? `, Δaccuracy ${points(dAcc)}` : ''),
      `flipped ${flipped.length} of ${split.heldOut.length} held-out images` +
        (flipped.length ? ` (${flipped.filter((f) => f.to === teacherLabels[f.image]).length} now agree with the teacher, ${flipped.filter((f) => f.from === teacherLabels[f.image]).length} no longer do)` : ''),
      `wrote ${v.out}`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  },
};


