import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Command } from './command.ts';
import { parse } from './command.ts';
import { CliError, writeAtomic } from './io.ts';
import { readActivations } from './inputs.ts';
import { readStudent } from './student.ts';
import { writeNpy, parseNpy, NpyError } from '../../src/core/io/npy.ts';
import { standardise } from '../../src/core/concepts/stats.ts';
import { argmaxRows, logits, sigmoid } from '../../src/core/math/linalg.ts';
import { computeCheckBlock } from '../../src/core/schema/checkBlock.ts';
import type { RegionEmbeddings } from '../../src/core/concepts/activations.ts';
import type { DecodedStudent } from '../../src/core/schema/build.ts';
import type { StudentExportV1 } from '../../src/core/schema/exportV1.ts';

const USAGE = `usage: concept-studio predict --student student.json (--activations A.npy | --embeddings E.npy) [--out pred.npy]

  Prints, per image, the predicted class and the one-vs-rest probability σ(z_c) of every class
  (CSV on stdout). With --out, writes the N×C probabilities as float32 .npy instead and prints a
  per-class count.

  --activations  N×M raw concept activations a_ij (the student's concepts, in its order).
  --embeddings   N×R×D (or N×D, R = 1) image embeddings from the student's image encoder
                 (region 0 = the full image); needs a self-sufficient student file (concept
                 text embeddings). The file's domain calibration is applied. When the file has
                 an OOD block, each image also gets its MCM score and the flag "unfamiliar"
                 (score < the file's threshold λ); with --out the flagged count is printed.`;

/** Images per call of the check-block computation (bounds the memory of its JSON-number outputs). */
const CHUNK = 256;

function readEmbeddings(path: string, student: DecodedStudent, studentName: string): RegionEmbeddings {
  let arr;
  try {
    arr = parseNpy(readFileSync(path), basename(path));
  } catch (e) {
    if (e instanceof NpyError) throw new CliError(`embeddings: ${e.message}`);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`embeddings: no such file ${path}`);
    throw e;
  }
  const name = basename(path);
  const s = arr.shape;
  if (s.length !== 2 && s.length !== 3) throw new CliError(`embeddings ${name} has shape (${s.join(', ')}); expected (N, R, D) or (N, D)`);
  const [N, R, D] = s.length === 3 ? s : [s[0], 1, s[1]];
  if (student.D === null || !student.conceptText) {
    throw new CliError(`${studentName} is activation-only (no concept text embeddings): give --activations instead of --embeddings`);
  }
  if (D !== student.D) throw new CliError(`embeddings ${name} have ${D} dimensions but ${studentName}'s image encoder has ${student.D}`);
  if (R !== student.R) throw new CliError(`embeddings ${name} have ${R} region(s) per image but ${studentName} was fitted with ${student.R} (its regions setting)`);
  for (let i = 0; i < arr.data.length; i++) {
    if (!Number.isFinite(arr.data[i])) throw new CliError(`embeddings ${name}: image ${Math.floor(i / (R * D))} has a non-finite value`);
  }
  return { N, R, D, data: Float32Array.from(arr.data) };
}

interface Predictions {
  N: number;
  probs: Float32Array;
  pred: Int32Array;
  /** MCM score per image, or null without an OOD block / without embeddings. */
  ood: Float64Array | null;
}

/** From embeddings: the export's own check-block computation (activations, domain stats, logits, OOD). */
function fromEmbeddings(doc: StudentExportV1, student: DecodedStudent, imgs: RegionEmbeddings): Predictions {
  const { N, R, D } = imgs;
  const C = student.C;
  const probs = new Float32Array(N * C);
  const pred = new Int32Array(N);
  const ood = doc.ood ? new Float64Array(N) : null;
  for (let i0 = 0; i0 < N; i0 += CHUNK) {
    const n = Math.min(CHUNK, N - i0);
    const out = computeCheckBlock({
      student: student.ensemble.served,
      conceptText: student.conceptText,
      stats: student.stats,
      images: { N: n, R, D, data: imgs.data.subarray(i0 * R * D, (i0 + n) * R * D) },
      ood: doc.ood ? { score: doc.ood.score, tau: doc.ood.tau } : null,
      classText: student.classText,
      domain: student.domain,
    });
    out.forEach((o, k) => {
      for (let c = 0; c < C; c++) probs[(i0 + k) * C + c] = sigmoid(o.logits[c]);
      pred[i0 + k] = o.prediction;
      if (ood) ood[i0 + k] = o.oodScore ?? NaN;
    });
  }
  return { N, probs, pred, ood };
}

export const predict: Command = {
  name: 'predict',
  summary: "apply a student to concept activations or image embeddings: each image's class, probabilities and OOD flag",
  usage: USAGE,
  async run(argv) {
    const { values: v } = parse(argv, { student: { type: 'string' }, activations: { type: 'string' }, embeddings: { type: 'string' }, out: { type: 'string' } }, ['student']);
    if (!v.activations && !v.embeddings) throw new CliError('missing --activations (or --embeddings)');
    if (v.activations && v.embeddings) throw new CliError('give exactly one of --activations and --embeddings');
    const { doc, student } = readStudent(v.student!);
    const studentName = basename(v.student!);
    const classes = doc.classes.map((c) => c.name);
    let r: Predictions;
    if (v.embeddings) {
      if (doc.ood?.score === 'mcm' && !student.classText) throw new CliError(`${studentName}: its 'mcm' OOD score needs class text embeddings`);
      r = fromEmbeddings(doc, student, readEmbeddings(v.embeddings, student, studentName));
    } else {
      const raw = readActivations(v.activations!, student.M, `${studentName} (which has ${student.M} concepts)`);
      const Z = logits(standardise(raw, student.stats), student.ensemble.served);
      r = { N: raw.rows, probs: Z.data.map(sigmoid), pred: argmaxRows(Z), ood: null };
      if (doc.ood) process.stderr.write(`note: ${studentName} has an OOD block; give --embeddings (not --activations) for the unfamiliar-image flag\n`);
    }
    const lambda = doc.ood?.threshold ?? NaN;
    const flagged = (i: number) => r.ood !== null && r.ood[i] < lambda;
    if (v.out) {
      writeAtomic(v.out, writeNpy(r.probs, [r.N, student.C]));
      const counts = classes.map((name, c) => `${name}: ${r.pred.filter((p) => p === c).length}`);
      let text = `predicted ${r.N} images (${counts.join(', ')})\nwrote ${v.out} (${r.N}×${student.C} probabilities)\n`;
      if (r.ood) {
        let k = 0;
        for (let i = 0; i < r.N; i++) if (flagged(i)) k++;
        text += `unfamiliar: ${k} of ${r.N} images (${doc.ood!.score} score < threshold ${lambda})\n`;
      }
      process.stdout.write(text);
      return;
    }
    const csv = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const head = ['image', 'prediction', ...classes.map((c) => `p(${c})`)];
    if (r.ood) head.push('ood score', 'unfamiliar');
    const lines = [head.map(csv).join(',')];
    for (let i = 0; i < r.N; i++) {
      const p = Array.from(r.probs.subarray(i * student.C, (i + 1) * student.C), (x) => x.toFixed(4));
      const row = [String(i), csv(classes[r.pred[i]]), ...p];
      if (r.ood) row.push(r.ood[i].toFixed(4), flagged(i) ? 'yes' : 'no');
      lines.push(row.join(','));
    }
    process.stdout.write(lines.join('\n') + '\n');
  },
};
