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
function lossNodes(out: string): NodeDesc[] {
  return [
    { op: 'Abs', inputs: ['Z'], outputs: ['absZ'] },
    { op: 'Sigmoid', inputs: ['absZ'], outputs: ['sigAbs'] },
    { op: 'Log', inputs: ['sigAbs'], outputs: ['logSigAbs'] },
    { op: 'Relu', inputs: ['Z'], outputs: ['reluZ'] },
    { op: 'Sub', inputs: ['reluZ', 'logSigAbs'], outputs: ['sp'] },
    { op: 'Mul', inputs: ['Pj', 'Z'], outputs: ['pz'] },
    { op: 'Sub', inputs: ['sp', 'pz'], outputs: ['bce'] },
    { op: 'Mul', inputs: ['bce', 'Sj'], outputs: ['wbce'] },
    // Sum in float64: a float32 running sum over N rows is off by ~√N·6e-8 relative, which is
    // more than the solver's sufficient-decrease test can tolerate near the optimum.
    { op: 'Cast', inputs: ['wbce'], outputs: ['wbce64'], attrs: [{ name: 'to', i: DataType.DOUBLE }] },
    { op: 'ReduceSum', inputs: ['wbce64', 'axis0'], outputs: [out], attrs: [{ name: 'keepdims', i: 0 }] },
  ];
}

function constants(A: Float32Array, P: Float32Array, N: number, M: number, C: number): TensorDesc[] {
  return [
    { name: 'A', dataType: DataType.FLOAT, dims: [N, M], raw: A },
    { name: 'P', dataType: DataType.FLOAT, dims: [N, C], raw: P },
    { name: 'axis0', dataType: DataType.INT64, dims: [1], raw: new BigInt64Array([0n]) },
    { name: 'depthC', dataType: DataType.INT64, dims: [], raw: new BigInt64Array([BigInt(C)]) },
    { name: 'offOn', dataType: DataType.FLOAT, dims: [2], raw: new Float32Array([0, 1]) },
  ];
}

const colInputs = (N: number) => [
  // depthK is an input, not a constant: K (members) changes between solves on one dataset.
  { name: 'depthK', dataType: DataType.INT64, dims: [] },
  { name: 'cls', dataType: DataType.INT64, dims: ['J'] },
  { name: 'mem', dataType: DataType.INT64, dims: ['J'] },
  { name: 'rowW', dataType: DataType.FLOAT, dims: [N, 'K'] },
];

export function forwardGraph(A: Float32Array, P: Float32Array, N: number, M: number, C: number): GraphDesc {
  return {
    name: 'student_forward',
    opset: OPSET,
    initializers: constants(A, P, N, M, C),
    inputs: [
      { name: 'W', dataType: DataType.FLOAT, dims: ['J', M] },
      { name: 'b', dataType: DataType.FLOAT, dims: ['J'] },
      ...colInputs(N),
    ],
    outputs: [
      { name: 'Z', dataType: DataType.FLOAT, dims: [N, 'J'] },
      { name: 'loss', dataType: DataType.DOUBLE, dims: ['J'] },
    ],
    nodes: [
      { op: 'Gemm', inputs: ['A', 'W', 'b'], outputs: ['Z'], attrs: [{ name: 'transB', i: 1 }] },
      ...selectNodes(),
      ...lossNodes('loss'),
    ],
  };
}

export function backwardGraph(A: Float32Array, P: Float32Array, N: number, M: number, C: number): GraphDesc {
  return {
    name: 'student_backward',
    opset: OPSET,
    initializers: constants(A, P, N, M, C),
    inputs: [{ name: 'Z', dataType: DataType.FLOAT, dims: [N, 'J'] }, ...colInputs(N)],
    outputs: [
      { name: 'loss', dataType: DataType.DOUBLE, dims: ['J'] },
      { name: 'gradW', dataType: DataType.FLOAT, dims: ['J', M] },
      { name: 'gradb', dataType: DataType.FLOAT, dims: ['J'] },
    ],
    nodes: [
      ...selectNodes(),
      ...lossNodes('loss'),
      { op: 'Sigmoid', inputs: ['Z'], outputs: ['s'] },
      { op: 'Sub', inputs: ['s', 'Pj'], outputs: ['d'] },
      { op: 'Mul', inputs: ['d', 'Sj'], outputs: ['R'] },
      { op: 'Gemm', inputs: ['R', 'A'], outputs: ['gradW'], attrs: [{ name: 'transA', i: 1 }] },
      { op: 'ReduceSum', inputs: ['R', 'axis0'], outputs: ['gradb'], attrs: [{ name: 'keepdims', i: 0 }] },
    ],
  };
}

export function studentModels(A: Float32Array, P: Float32Array, N: number, M: number, C: number): { forward: Uint8Array; backward: Uint8Array } {
  return {
    forward: encodeModel(forwardGraph(A, P, N, M, C)),
    backward: encodeModel(backwardGraph(A, P, N, M, C)),
  };
}
