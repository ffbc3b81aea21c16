/**
 * onnxruntime-backed student kernel, generic over the runtime package: onnxruntime-node in Node
 * (native MLAS GEMMs, ~70× the plain-JS loops) and onnxruntime-web in a worker (wasm SIMD).
 * Both packages implement the same onnxruntime-common API; we type only the slice we use, so
 * the two copies of onnxruntime-common (1.30 vs 1.31-dev) never have to agree on types.
 */
import type {
  BackwardResult,
  ColumnSet,
  ForwardResult,
  RowWeights,
  StudentKernel,
} from '../../core/student/kernel.ts';
import { checkColumns } from '../../core/student/kernel.ts';
import { studentModels, type LossSums } from './studentGraph.ts';

export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}

export interface OrtSessionLike {
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** The part of `typeof import('onnxruntime-node' | 'onnxruntime-web')` the kernel needs. */
export interface OrtLike {
  Tensor: new (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) => OrtTensorLike;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike> };
}

export interface OrtKernelOptions {
  name: string;
  /** How per-row losses are summed (default 'float64'; wasm builds need 'blocked'). */
  sums?: LossSums;
  /** Passed to InferenceSession.create (threads, execution providers, …). */
  sessionOptions?: Record<string, unknown>;
}

/** Losses come as float64 or float32 depending on the graph's LossSums. */
function f64(t: OrtTensorLike, what: string): Float64Array {
  if (t?.data instanceof Float64Array) return t.data;
  if (t?.data instanceof Float32Array) return Float64Array.from(t.data);
  throw new Error(`onnxruntime returned no ${what}`);
}

function f32(t: OrtTensorLike, what: string): Float32Array {
  if (!(t?.data instanceof Float32Array)) throw new Error(`onnxruntime returned no float32 ${what}`);
  return t.data;
}

export async function createOrtKernel(
  ort: OrtLike,
  A: Float32Array,
  P: Float32Array,
  N: number,
  M: number,
  C: number,
  opts: OrtKernelOptions,
): Promise<StudentKernel> {
  if (A.length !== N * M || P.length !== N * C) throw new Error('kernel data does not match its shape');
  const sums = opts.sums ?? 'float64';
  const bytes = studentModels(A, P, N, M, C, sums);
  const so = { graphOptimizationLevel: 'all', ...opts.sessionOptions };
  const fwd = await ort.InferenceSession.create(bytes.forward, so);
  let bwd: OrtSessionLike;
  try {
    bwd = await ort.InferenceSession.create(bytes.backward, so);
  } catch (e) {
    await fwd.release();
    throw e;
  }

  // The row weights stay the same for a whole solve: build their tensor once per object.
  let lastRowW: RowWeights | null = null;
  let rowTensor: OrtTensorLike | null = null;
  const colFeeds = (cols: ColumnSet, rowW: RowWeights) => {
    checkColumns(cols, C, rowW.K);
    if (rowW.data.length !== N * rowW.K) throw new Error(`row weights have ${rowW.data.length} values, expected ${N}×${rowW.K}`);
    if (rowW !== lastRowW) {
      rowTensor = new ort.Tensor('float32', rowW.data, [N, rowW.K]);
      lastRowW = rowW;
    }
    return {
      cls: new ort.Tensor('int64', BigInt64Array.from(cols.cls, BigInt), [cols.J]),
      mem: new ort.Tensor('int64', BigInt64Array.from(cols.mem, BigInt), [cols.J]),
      rowW: rowTensor!,
      depthK: new ort.Tensor('int64', BigInt64Array.of(BigInt(rowW.K)), []),
    };
  };
  let disposed = false;
  const alive = () => {
    if (disposed) throw new Error(`${opts.name} kernel used after dispose`);
  };

  return {
    name: opts.name,
    // float64: exact sums of float32 terms, the rest is logit rounding (measured 4e-8);
    // blocked: measured ≤ 2.7e-7 relative at N = 10k and 50k, J = 200 (see ortKernel.test.ts).
    lossEps: sums === 'float64' ? 1e-7 : 5e-7,
    N,
    M,
    C,
    async forward(W, b, cols, rowW): Promise<ForwardResult> {
      alive();
      if (W.length !== cols.J * M || b.length !== cols.J) throw new Error('weights do not match the column set');
      const out = await fwd.run({
        W: new ort.Tensor('float32', W, [cols.J, M]),
        b: new ort.Tensor('float32', b, [cols.J]),
        ...colFeeds(cols, rowW),
      });
      return { Z: f32(out.Z, 'logits'), loss: f64(out.loss, 'loss') };
    },
    async backward(Z, cols, rowW): Promise<BackwardResult> {
      alive();
      if (Z.length !== N * cols.J) throw new Error('logits do not match the column set');
      const out = await bwd.run({ Z: new ort.Tensor('float32', Z, [N, cols.J]), ...colFeeds(cols, rowW) });
      return {
        loss: f64(out.loss, 'loss'),
        gradW: f32(out.gradW, 'gradient'),
        gradb: f32(out.gradb, 'bias gradient'),
      };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all([fwd.release(), bwd.release()]);
    },
  };
}
