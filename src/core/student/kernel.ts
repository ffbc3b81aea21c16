/**
 * The compute kernel of the student solver (METHODS.md §4), and its contract.
 *
 * The solver never touches A (N×M) itself: every O(N·M) operation goes through a kernel, so the
 * same solver runs on plain JS loops (tests, fallback) or on a BLAS-backed runtime
 * (onnxruntime in src/ml/kernels). A kernel is created once per dataset (A, P) and then called
 * with a set of *columns*: J independent weighted one-vs-rest logistic regressions that share A.
 * Column j fits class `cls[j]` with the row weights of member `mem[j]`. Stacking all classes of
 * all ensemble members as columns turns k·C small matrix–vector products into one GEMM, which
 * is where a BLAS gets its speed.
 *
 * Loss of column j (the smooth part of the objective, weights already normalised by the solver):
 *     f_j = Σ_i rowW[i, mem_j] · BCE(σ(z_ij), P[i, cls_j]),   BCE as softplus(z) − p·z.
 */

/** Which class and which member (row-weight column) each of the J columns fits. */
export interface ColumnSet {
  J: number;
  cls: Int32Array;
  mem: Int32Array;
}

/**
 * Per-row weights for K members, N×K row-major. The solver passes them normalised (each
 * column sums to 1), so a bootstrap member is just integer counts / N: no data is copied.
 */
export interface RowWeights {
  K: number;
  data: Float32Array;
}

export interface ForwardResult {
  /** N×J logits, row-major. */
  Z: Float32Array;
  /** J losses. */
  loss: Float64Array;
}

export interface BackwardResult {
  /** J losses at the given logits. */
  loss: Float64Array;
  /** J×M gradient of the losses with respect to the column weights. */
  gradW: Float32Array;
  /** J gradients with respect to the biases. */
  gradb: Float32Array;
}

export interface StudentKernel {
  readonly name: string;
  readonly N: number;
  readonly M: number;
  readonly C: number;
  /**
   * Relative accuracy of the losses it returns (default 1e-6, float32 sums). The solver's
   * sufficient-decrease test allows this much slack, so it must not be set optimistically.
   */
  readonly lossEps?: number;
  /** Z = A·Wᵀ + b for W (J×M), b (J), and the loss of every column at Z. */
  forward(W: Float32Array, b: Float32Array, cols: ColumnSet, rowW: RowWeights): Promise<ForwardResult>;
  /**
   * Loss and gradient from logits alone. Taking Z rather than W lets the solver form the logits
   * of FISTA's extrapolated point by linear combination (Z is linear in W), so one iteration
   * costs one forward and one backward GEMM instead of three.
   */
  backward(Z: Float32Array, cols: ColumnSet, rowW: RowWeights): Promise<BackwardResult>;
  /** Free native memory; the kernel must not be used afterwards. */
  dispose(): Promise<void>;
}

/** Creates a kernel for one dataset; the solver calls it when it is given no kernel instance. */
export type KernelFactory = (A: Float32Array, P: Float32Array, N: number, M: number, C: number) => Promise<StudentKernel>;

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

export function checkColumns(cols: ColumnSet, C: number, K: number): void {
  if (cols.cls.length !== cols.J || cols.mem.length !== cols.J) throw new Error('column set arrays do not match J');
  for (let j = 0; j < cols.J; j++) {
    if (cols.cls[j] < 0 || cols.cls[j] >= C) throw new Error(`column ${j}: class ${cols.cls[j]} out of range`);
    if (cols.mem[j] < 0 || cols.mem[j] >= K) throw new Error(`column ${j}: member ${cols.mem[j]} out of range`);
  }
}
