import type { LinearModel, Mat } from '../types.ts';

/** Logits Z (N×C) = A (N×M) · Wᵀ + b, straightforward loops (for predictions, not training). */
export function logits(A: Mat, model: LinearModel): Mat {
  const { rows: N, cols: M } = A;
  if (M !== model.M) throw new Error(`activations have ${M} concepts but the model has ${model.M}`);
  const C = model.C;
  const Z = new Float32Array(N * C);
  const a = A.data;
  const W = model.W;
  for (let i = 0; i < N; i++) {
    const ai = i * M;
    for (let c = 0; c < C; c++) {
      const wc = c * M;
      let s = 0;
      for (let j = 0; j < M; j++) s += a[ai + j] * W[wc + j];
      Z[i * C + c] = s + model.b[c];
    }
  }
  return { rows: N, cols: C, data: Z };
}

/** Index of the largest entry of each row (first one on ties). */
export function argmaxRows(X: Mat): Int32Array {
  const out = new Int32Array(X.rows);
  const d = X.data;
  for (let i = 0; i < X.rows; i++) {
    let best = 0;
    let bv = d[i * X.cols];
    for (let c = 1; c < X.cols; c++) {
      const v = d[i * X.cols + c];
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Softmax of one vector, numerically stable. */
export function softmax(v: ArrayLike<number>, temperature = 1): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) max = Math.max(max, v[i] / temperature);
  const out = new Float64Array(v.length);
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    out[i] = Math.exp(v[i] / temperature - max);
    sum += out[i];
  }
  for (let i = 0; i < v.length; i++) out[i] /= sum;
  return out;
}

/** Select rows of a matrix (copy). */
export function takeRows(X: Mat, idx: ArrayLike<number>): Mat {
  const out = new Float32Array(idx.length * X.cols);
  for (let k = 0; k < idx.length; k++) out.set(X.data.subarray(idx[k] * X.cols, (idx[k] + 1) * X.cols), k * X.cols);
  return { rows: idx.length, cols: X.cols, data: out };
}

export function mat(rows: number, cols: number, data?: Float32Array): Mat {
  const d = data ?? new Float32Array(rows * cols);
  if (d.length !== rows * cols) throw new Error(`matrix data has ${d.length} values, expected ${rows}×${cols}`);
  return { rows, cols, data: d };
}
