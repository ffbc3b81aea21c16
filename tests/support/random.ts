/** Seeded random fixtures shared by tests: unit-norm embedding rows and linear models. */
import { mulberry32, randNormal } from '../../src/core/math/rng.ts';
import type { LinearModel, Mat } from '../../src/core/types.ts';

/** `rows` random unit vectors of length `cols` (like L2-normalised CLIP embeddings). */
export function unitRows(rows: number, cols: number, seed: number): Mat {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let d = 0; d < cols; d++) s += (data[r * cols + d] = randNormal(rng)) ** 2;
    for (let d = 0; d < cols; d++) data[r * cols + d] /= Math.sqrt(s);
  }
  return { rows, cols, data };
}

/** A C×M linear model with normal weights and small normal biases. */
export function randomModel(C: number, M: number, seed: number): LinearModel {
  const rng = mulberry32(seed);
  return { W: Float32Array.from({ length: C * M }, () => randNormal(rng)), b: Float32Array.from({ length: C }, () => randNormal(rng) / 10), C, M };
}
