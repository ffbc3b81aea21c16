/** Loading the command line's inputs and checking that they describe the same images. */
import { basename } from 'node:path';
import type { Mat } from '../../src/core/types.ts';
import { CliError, readNpy, readMatrix } from './io.ts';

/** Raw activations N×M whose columns must match the concept list. */
export function readActivations(path: string, M: number, conceptsFile: string): Mat {
  const A = readMatrix(path, 'activations');
  if (A.cols !== M) {
    throw new CliError(`activations ${basename(path)} has ${A.cols} columns but ${conceptsFile} lists ${M} concepts; they must match one to one`);
  }
  return A;
}

/**
 * Teacher outputs: an N×C matrix of probabilities, or a vector of N class indices (one-hot
 * targets, METHODS.md §3 for label-only teachers).
 */
export function readTeacher(path: string, N: number, C: number, classesFile: string): Mat {
  const t = readNpy(path, 'teacher', [1, 2]);
  const name = basename(path);
  if (t.shape[0] !== N) throw new CliError(`teacher ${name} covers ${t.shape[0]} images but the activations cover ${N}`);
  if (t.shape.length === 1) {
    const P = new Float32Array(N * C);
    for (let i = 0; i < N; i++) {
      const c = t.data[i];
      if (!Number.isInteger(c) || c < 0 || c >= C) {
        throw new CliError(`teacher ${name} gives label ${c} for image ${i}; labels must be class indices 0…${C - 1} (${classesFile} lists ${C} classes)`);
      }
      P[i * C + c] = 1;
    }
    return { rows: N, cols: C, data: P };
  }
  if (t.shape[1] !== C) throw new CliError(`teacher ${name} has ${t.shape[1]} columns but ${classesFile} lists ${C} classes`);
  for (let q = 0; q < t.data.length; q++) {
    const p = t.data[q];
    if (p < 0 || p > 1) {
      throw new CliError(`teacher ${name} holds ${p} at image ${Math.floor(q / C)}, class ${q % C}; expected probabilities in [0, 1] (apply a softmax to logits first)`);
    }
  }
  return { rows: N, cols: C, data: t.data };
}

/** Ground-truth class indices (−1 = unknown). */
export function readLabels(path: string, N: number, C: number): Int32Array {
  const y = readNpy(path, 'labels', 1);
  const name = basename(path);
  if (y.shape[0] !== N) throw new CliError(`labels ${name} cover ${y.shape[0]} images but the activations cover ${N}`);
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const c = y.data[i];
    if (!Number.isInteger(c) || c < -1 || c >= C) throw new CliError(`labels ${name} give ${c} for image ${i}; expected a class index 0…${C - 1}, or −1 for unknown`);
    out[i] = c;
  }
  return out;
}

const fold = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

/** Find a name (case and spacing ignored); an unknown one lists a few of the known ones. */
export function lookupName(name: string, known: string[], what: 'class' | 'concept'): number {
  const i = known.findIndex((k) => fold(k) === fold(name));
  if (i >= 0) return i;
  const hint = known.filter((k) => fold(k).includes(fold(name)) || fold(name).includes(fold(k))).slice(0, 3);
  const list = hint.length ? `did you mean ${hint.map((h) => `"${h}"`).join(', ')}?` : `known: ${known.slice(0, 6).map((h) => `"${h}"`).join(', ')}${known.length > 6 ? ', …' : ''}`;
  throw new CliError(`unknown ${what} "${name}" (${list})`);
}
