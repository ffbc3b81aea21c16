/**
 * The two ONNX graphs behind the onnxruntime student kernel (contract: core/student/kernel.ts).
 *
 * A (N×M) and P (N×C) are baked in as initializers: they are the big, constant operands, so
 * they cross into the runtime once per dataset instead of once per call (in the browser every
 * input is copied into wasm memory). Everything per call is small except Z.
 *
 *   forward : W[J,M], b[J], cls[J], mem[J], rowW[N,K]  →  Z = A·Wᵀ + b [N,J],  loss[J]
 *   backward: Z[N,J], cls[J], mem[J], rowW[N,K]        →  loss[J], gradW = Rᵀ·A [J,M], gradb[J]
 *   with  Pj = P[:, cls],  Sj = rowW[:, mem],  R = (σ(Z) − Pj) ⊙ Sj,
 *         loss = Σ_rows Sj ⊙ (softplus(Z) − Pj ⊙ Z).
 * J, K are symbolic, so the solver can drop converged columns without new sessions.
 */
import { DataType, encodeModel, type GraphDesc, type NodeDesc, type TensorDesc } from './onnxProto.ts';

const OPSET = 13;

/**
 * Selected targets Pj = P·Ecls and row weights Sj = rowW·Emem as one-hot matrix products:
 * onnxruntime's Gather along axis 1 moves one element at a time (3.3 ms at N=10k, J=200),
 * a skinny GEMM does the same in a fraction of that.
 */
function selectNodes(): NodeDesc[] {
  return [
    { op: 'OneHot', inputs: ['cls', 'depthC', 'offOn'], outputs: ['Ecls_t'], attrs: [{ name: 'axis', i: 0 }] },
    { op: 'OneHot', inputs: ['mem', 'depthK', 'offOn'], outputs: ['Emem_t'], attrs: [{ name: 'axis', i: 0 }] },
    { op: 'MatMul', inputs: ['P', 'Ecls_t'], outputs: ['Pj'] },
    { op: 'MatMul', inputs: ['rowW', 'Emem_t'], outputs: ['Sj'] },
  ];
}

/**
 * Weighted BCE = softplus(z) − p·z with softplus(z) = relu(z) − log σ(|z|): only ops that
 * onnxruntime vectorises (its Softplus kernel is scalar and was a third of the whole call),
 * and no overflow since σ(|z|) ∈ [½, 1].
 */
/**
 * How the N per-row losses of a column are summed. A float32 running sum over N rows is off by
 * ~√N·6e-8 relative, more than the solver's sufficient-decrease test tolerates near the
 * optimum. 'float64' casts and sums in doubles (onnxruntime-node); 'blocked' (the browser's
 * wasm builds have no double kernels) views the rows as a B×B×B cube and sums one axis at a
 * time, so no float32 sum runs over more than B ≈ ∛N terms (measured: 64-row blocks then the
 * block sums were 1e-6 off at N=50k, the cube is several times better).
 */
export type LossSums = 'float64' | 'blocked';

/** Side of the cube the 'blocked' sum views the (zero-padded) rows as: N ≤ B³. */
const cubeSide = (N: number) => Math.max(2, Math.ceil(Math.cbrt(N) - 1e-9));

function lossNodes(out: string, sums: LossSums): NodeDesc[] {
  const terms: NodeDesc[] = [
    { op: 'Abs', inputs: ['Z'], outputs: ['absZ'] },
    { op: 'Sigmoid', inputs: ['absZ'], outputs: ['sigAbs'] },
    { op: 'Log', inputs: ['sigAbs'], outputs: ['logSigAbs'] },
    { op: 'Relu', inputs: ['Z'], outputs: ['reluZ'] },
    { op: 'Sub', inputs: ['reluZ', 'logSigAbs'], outputs: ['sp'] },
    { op: 'Mul', inputs: ['Pj', 'Z'], outputs: ['pz'] },
    { op: 'Sub', inputs: ['sp', 'pz'], outputs: ['bce'] },
    { op: 'Mul', inputs: ['bce', 'Sj'], outputs: ['wbce'] },
  ];
  if (sums === 'float64') {
    return [
      ...terms,
      { op: 'Cast', inputs: ['wbce'], outputs: ['wbce64'], attrs: [{ name: 'to', i: DataType.DOUBLE }] },
      { op: 'ReduceSum', inputs: ['wbce64', 'axis0'], outputs: [out], attrs: [{ name: 'keepdims', i: 0 }] },
    ];
  }
  return [
    ...terms,
    { op: 'Pad', inputs: ['wbce', 'padRows'], outputs: ['wbceP'] },
    { op: 'Reshape', inputs: ['wbceP', 'cubeShape'], outputs: ['cube'] },
    { op: 'ReduceSum', inputs: ['cube', 'axis2'], outputs: ['sq'], attrs: [{ name: 'keepdims', i: 0 }] },
    { op: 'ReduceSum', inputs: ['sq', 'axis1'], outputs: ['line'], attrs: [{ name: 'keepdims', i: 0 }] },
    { op: 'ReduceSum', inputs: ['line', 'axis0'], outputs: [out], attrs: [{ name: 'keepdims', i: 0 }] },
  ];
}

function constants(A: Float32Array, P: Float32Array, N: number, M: number, C: number, sums: LossSums): TensorDesc[] {
  const int64 = (name: string, v: number[]): TensorDesc => ({ name, dataType: DataType.INT64, dims: [v.length], raw: BigInt64Array.from(v, BigInt) });
  const B = cubeSide(N);
  return [
    { name: 'A', dataType: DataType.FLOAT, dims: [N, M], raw: A },
    { name: 'P', dataType: DataType.FLOAT, dims: [N, C], raw: P },
    int64('axis0', [0]),
    { name: 'depthC', dataType: DataType.INT64, dims: [], raw: new BigInt64Array([BigInt(C)]) },
    { name: 'offOn', dataType: DataType.FLOAT, dims: [2], raw: new Float32Array([0, 1]) },
    ...(sums === 'blocked'
      ? [int64('axis1', [1]), int64('axis2', [2]), int64('padRows', [0, 0, B * B * B - N, 0]), int64('cubeShape', [B, B, B, -1])]
      : []),
  ];
}

const colInputs = (N: number) => [
  // depthK is an input, not a constant: K (members) changes between solves on one dataset.
  { name: 'depthK', dataType: DataType.INT64, dims: [] },
  { name: 'cls', dataType: DataType.INT64, dims: ['J'] },
  { name: 'mem', dataType: DataType.INT64, dims: ['J'] },
  { name: 'rowW', dataType: DataType.FLOAT, dims: [N, 'K'] },
];

export function forwardGraph(A: Float32Array, P: Float32Array, N: number, M: number, C: number, sums: LossSums = 'float64'): GraphDesc {
  return {
    name: 'student_forward',
    opset: OPSET,
    initializers: constants(A, P, N, M, C, sums),
    inputs: [
      { name: 'W', dataType: DataType.FLOAT, dims: ['J', M] },
      { name: 'b', dataType: DataType.FLOAT, dims: ['J'] },
      ...colInputs(N),
    ],
    outputs: [
      { name: 'Z', dataType: DataType.FLOAT, dims: [N, 'J'] },
      { name: 'loss', dataType: sums === 'float64' ? DataType.DOUBLE : DataType.FLOAT, dims: ['J'] },
    ],
    nodes: [
      { op: 'Gemm', inputs: ['A', 'W', 'b'], outputs: ['Z'], attrs: [{ name: 'transB', i: 1 }] },
      ...selectNodes(),
      ...lossNodes('loss', sums),
    ],
  };
}

export function backwardGraph(A: Float32Array, P: Float32Array, N: number, M: number, C: number, sums: LossSums = 'float64'): GraphDesc {
  return {
    name: 'student_backward',
    opset: OPSET,
    initializers: constants(A, P, N, M, C, sums),
    inputs: [{ name: 'Z', dataType: DataType.FLOAT, dims: [N, 'J'] }, ...colInputs(N)],
    outputs: [
      { name: 'loss', dataType: sums === 'float64' ? DataType.DOUBLE : DataType.FLOAT, dims: ['J'] },
      { name: 'gradW', dataType: DataType.FLOAT, dims: ['J', M] },
      { name: 'gradb', dataType: DataType.FLOAT, dims: ['J'] },
    ],
    nodes: [
      ...selectNodes(),
      ...lossNodes('loss', sums),
      { op: 'Sigmoid', inputs: ['Z'], outputs: ['s'] },
      { op: 'Sub', inputs: ['s', 'Pj'], outputs: ['d'] },
      { op: 'Mul', inputs: ['d', 'Sj'], outputs: ['R'] },
      { op: 'Gemm', inputs: ['R', 'A'], outputs: ['gradW'], attrs: [{ name: 'transA', i: 1 }] },
      { op: 'ReduceSum', inputs: ['R', 'axis0'], outputs: ['gradb'], attrs: [{ name: 'keepdims', i: 0 }] },
    ],
  };
}

export function studentModels(A: Float32Array, P: Float32Array, N: number, M: number, C: number, sums: LossSums = 'float64'): { forward: Uint8Array; backward: Uint8Array } {
  return {
    forward: encodeModel(forwardGraph(A, P, N, M, C, sums)),
    backward: encodeModel(backwardGraph(A, P, N, M, C, sums)),
  };
}
