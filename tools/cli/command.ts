import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './io.ts';

/** One subcommand of `concept-studio`. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the CLI's error style: unknown or missing options become one-line CliErrors. */
export function parse<O extends Options>(argv: string[], options: O, required: (keyof O & string)[], positionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
  } catch (e) {
    throw new CliError((e as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  for (const key of required) {
    if (values[key] === undefined) throw new CliError(`missing --${key}`);
  }
  return parsed as unknown as {
    values: { [K in keyof O]: O[K]['type'] extends 'boolean' ? boolean | undefined : string | undefined };
    positionals: string[];
  };
}

/** A number option: finite, and within [min, max] when given. */
export function num(value: string | undefined, name: string, fallback: number, min = -Infinity, max = Infinity): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new CliError(`--${name} must be a number${min > -Infinity ? ` ≥ ${min}` : ''}${max < Infinity ? ` and ≤ ${max}` : ''}, got "${value}"`);
  }
  return v;
}
