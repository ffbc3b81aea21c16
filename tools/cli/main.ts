/** Entry of the `concept-studio` command line: the engine of the studio, headless. */
import { CliError } from './io.ts';
import type { Command } from './command.ts';
import { distill } from './distill.ts';
import { tune } from './tune.ts';
import { predict } from './predict.ts';
import { embed } from './embed.ts';
import { concepts } from './concepts.ts';
import { activations } from './activations.ts';

export const COMMANDS: Command[] = [distill, tune, predict, embed, concepts, activations];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: concept-studio <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "concept-studio <command> --help" for the options of one command.',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`concept-studio: unknown command "${name}" (known: ${COMMANDS.map((c) => c.name).join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`concept-studio ${name}: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`concept-studio ${name}: internal error: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}
