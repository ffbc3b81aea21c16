/**
 * `concept-studio activations`: raw concept activations a_ij = max(0, max_r cos(x_ir, t_j))
 * (METHODS.md §2) from image embeddings (N×R×D or N×D .npy) and concept embeddings (M×D).
 * Standardisation is not applied here: μ and σ belong to the distillation split (distill does it).
 */
import { basename, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Command } from './command.ts';
import { parse } from './command.ts';
import { CliError, readMatrix, writeAtomic } from './io.ts';
import { parseNpy, writeNpy, NpyError } from '../../src/core/io/npy.ts';
import { conceptActivations } from '../../src/core/concepts/activations.ts';

function readImageEmbeddings(path: string): { N: number; R: number; D: number; data: Float32Array } {
  let arr;
  try {
    arr = parseNpy(new Uint8Array(readFileSync(path)), basename(path));
  } catch (e) {
    if (e instanceof NpyError) throw new CliError(`image embeddings: ${e.message}`);
    throw new CliError(`cannot read image embeddings ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const s = arr.shape;
  if (s.length !== 2 && s.length !== 3) throw new CliError(`image embeddings ${basename(path)} have shape (${s.join(', ')}); expected (N, R, D) or (N, D)`);
  const [N, R, D] = s.length === 3 ? s : [s[0], 1, s[1]];
  const data = Float32Array.from(arr.data);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new CliError(`image embeddings ${basename(path)} hold ${data[bad]} at image ${Math.floor(bad / (R * D))}; every value must be finite`);
  return { N, R, D, data };
}

export const activations: Command = {
  name: 'activations',
  summary: 'raw concept activations from image and concept embeddings → N×M .npy',
  usage: 'usage: concept-studio activations --images emb.npy --concepts cemb.npy --out A.npy',
  async run(argv) {
    const { values } = parse(argv, { images: { type: 'string' }, concepts: { type: 'string' }, out: { type: 'string' } }, ['images', 'concepts', 'out']);
    const images = readImageEmbeddings(values.images!);
    const concepts = readMatrix(values.concepts!, 'concept embeddings');
    if (concepts.cols !== images.D) throw new CliError(`concept embeddings have ${concepts.cols} dims but image embeddings have ${images.D}: were they made with the same model?`);
    const A = conceptActivations(images, concepts);
    writeAtomic(resolve(values.out!), writeNpy(A.data, [A.rows, A.cols]));
    process.stdout.write(`wrote ${values.out} (${A.rows}×${A.cols}), max over ${images.R} region${images.R > 1 ? 's' : ''}\n`);
  },
};
