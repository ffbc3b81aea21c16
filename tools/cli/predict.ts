import { basename } from 'node:path';
import type { Command } from './command.ts';
import { parse } from './command.ts';
import { writeAtomic } from './io.ts';
import { readActivations } from './inputs.ts';
import { readStudent } from './student.ts';
import { writeNpy } from '../../src/core/io/npy.ts';
import { standardise } from '../../src/core/concepts/stats.ts';
import { argmaxRows, logits, sigmoid } from '../../src/core/math/linalg.ts';

const USAGE = `usage: concept-studio predict --student student.json --activations A.npy [--out pred.npy]

  Prints, per image, the predicted class and the one-vs-rest probability σ(z_c) of every class
  (CSV on stdout). With --out, writes the N×C probabilities as float32 .npy instead and prints a
  per-class count.`;

export const predict: Command = {
  name: 'predict',
  summary: "apply a student to concept activations: each image's class and probabilities",
  usage: USAGE,
  async run(argv) {
    const { values: v } = parse(argv, { student: { type: 'string' }, activations: { type: 'string' }, out: { type: 'string' } }, ['student', 'activations']);
    const { doc, student } = readStudent(v.student!);
    const classes = doc.classes.map((c) => c.name);
    const raw = readActivations(v.activations!, student.M, `${basename(v.student!)} (which has ${student.M} concepts)`);
    const Z = logits(standardise(raw, student.stats), student.ensemble.served);
    const pred = argmaxRows(Z);
    const probs = Z.data.map(sigmoid);
    if (v.out) {
      writeAtomic(v.out, writeNpy(probs, [raw.rows, student.C]));
      const counts = classes.map((name, c) => `${name}: ${pred.filter((p) => p === c).length}`);
      process.stdout.write(`predicted ${raw.rows} images (${counts.join(', ')})\nwrote ${v.out} (${raw.rows}×${student.C} probabilities)\n`);
      return;
    }
    const csv = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = [['image', 'prediction', ...classes.map((c) => `p(${c})`)].map(csv).join(',')];
    for (let i = 0; i < raw.rows; i++) {
      const p = Array.from(probs.subarray(i * student.C, (i + 1) * student.C), (x) => x.toFixed(4));
      lines.push([String(i), csv(classes[pred[i]]), ...p].join(','));
    }
    process.stdout.write(lines.join('\n') + '\n');
  },
};
