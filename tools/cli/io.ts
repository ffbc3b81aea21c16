/** File handling for the command line: read and validate inputs, write outputs atomically. */
import { readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { parseNpy, NpyError } from '../../src/core/io/npy.ts';
import type { Mat } from '../../src/core/types.ts';

/** An error the user caused: printed as one line, exit code 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : String(code)}`);
  }
}

/** Read a .npy as float32, checking it is finite and has the expected number of dimensions. */
export function readNpy(path: string, what: string, dims: 1 | 2 | (1 | 2)[]): { shape: number[]; data: Float32Array } {
  const bytes = readBytes(path, what);
  let arr;
  try {
    arr = parseNpy(bytes, basename(path));
  } catch (e) {
    if (e instanceof NpyError) throw new CliError(`${what}: ${e.message}`);
    throw e;
  }
  const allowed = Array.isArray(dims) ? dims : [dims];
  if (!allowed.includes(arr.shape.length as 1 | 2)) {
    throw new CliError(`${what} ${basename(path)} has shape (${arr.shape.join(', ')}); expected ${allowed.map((d) => (d === 1 ? 'a vector (N)' : 'a matrix (N, K)')).join(' or ')}`);
  }
  for (let i = 0; i < arr.data.length; i++) {
    if (!Number.isFinite(arr.data[i])) {
      const cols = arr.shape[1] ?? 1;
      const where = arr.shape.length === 2 ? `row ${Math.floor(i / cols)}, column ${i % cols}` : `entry ${i}`;
      throw new CliError(`${what} ${basename(path)} holds ${arr.data[i]} at ${where}; every value must be a finite number`);
    }
  }
  return { shape: arr.shape, data: Float32Array.from(arr.data) };
}

export function readMatrix(path: string, what: string): Mat {
  const a = readNpy(path, what, 2);
  return { rows: a.shape[0], cols: a.shape[1], data: a.data };
}

/** One name per line; a tab may separate the name from a category. Blank lines and # comments are skipped. */
export function readNames(path: string, what: string): { names: string[]; categories: (string | null)[] } {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(readBytes(path, what));
  const names: string[] = [];
  const categories: (string | null)[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, lineNo) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [name, category] = line.split('\t').map((s) => s.trim());
    const key = name.toLowerCase().replace(/\s+/g, ' ');
    if (seen.has(key)) throw new CliError(`${what} ${basename(path)} line ${lineNo + 1}: "${name}" repeats line ${seen.get(key)! + 1}`);
    seen.set(key, lineNo);
    names.push(name);
    categories.push(category || null);
  });
  if (names.length === 0) throw new CliError(`${what} ${basename(path)} lists no names`);
  return { names, categories };
}

export function readJson(path: string, what: string): string {
  return new TextDecoder().decode(readBytes(path, what));
}

/** Write a file so that a failure never leaves a half-written output behind. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
