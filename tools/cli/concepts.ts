/**
 * `concept-studio concepts`: text embeddings of a concept list (M × D float32 .npy, row j =
 * line j of the list after blank lines and # comments are dropped), through one or more prompt
 * templates (template ensemble: mean of the per-template unit vectors, renormalised).
 */
import { resolve } from 'node:path';
import type { Command } from './command.ts';
import { parse } from './command.ts';
import { CliError, readNames, writeAtomic } from './io.ts';
import { writeNpy } from '../../src/core/io/npy.ts';
import { DEFAULT_TEMPLATE } from '../../src/ml/clip.ts';
import { loadModelForCli, MODEL_OPTIONS } from './embedModel.ts';

export const concepts: Command = {
  name: 'concepts',
  summary: 'CLIP text embeddings of a concept list → M×D .npy',
  usage: [
    'usage: concept-studio concepts --model <id|folder> --concepts concepts.txt --out cemb.npy',
    '                              [--template "a photo of {concept}"]… [--dtype fp32|fp16|q8]',
    '',
    `  --template  prompt with {concept} (or {}) where the concept goes; repeat it for an ensemble.`,
    `              Default: "${DEFAULT_TEMPLATE}".`,
    '  The concepts file has one concept per line (a tab may separate a category); # comments.',
  ].join('\n'),
  async run(argv) {
    const { values } = parse(argv, { ...MODEL_OPTIONS, concepts: { type: 'string' }, template: { type: 'string', multiple: true }, out: { type: 'string' } }, ['model', 'concepts', 'out']);
    const { names } = readNames(values.concepts!, 'concept list');
    if (names.length === 0) throw new CliError(`${values.concepts} lists no concepts`);
    const templates = (values.template as unknown as string[] | undefined) ?? [DEFAULT_TEMPLATE];
    const model = await loadModelForCli(values);
    const emb = await model.embedTexts(names, templates);
    writeAtomic(resolve(values.out!), writeNpy(emb, [names.length, model.dim]));
    await model.dispose();
    process.stdout.write(`wrote ${values.out} (${names.length}×${model.dim}) with ${templates.length} template${templates.length > 1 ? 's' : ''}, ${model.id} ${model.dtype}\n`);
  },
};
