/** Entry of the `concept-studio` command line. Subcommands are registered in ./commands.ts. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write('usage: concept-studio <distill|tune|predict> [options]\n');
    return 0;
  }
  process.stderr.write(`concept-studio: unknown command "${argv[0]}"\n`);
  return 2;
}
