import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
// Under Node, the bare specifier resolves to onnxruntime-web's Node build: the same wasm CPU
// kernels the browser runs (single-threaded), so the graphs are checked on that runtime too.
import * as ortWeb from 'onnxruntime-web';
import { onnx } from 'onnx-proto';
import { createJsKernel } from '../../core/student/jsKernel.ts';
import { bootstrapWeights, fitEnsemble, fitStudent } from '../../core/student/fit.ts';
import { syntheticProblem } from '../../core/student/synthetic.ts';
import type { ColumnSet, StudentKernel } from '../../core/student/kernel.ts';
import { mulberry32, randNormal } from '../../core/math/rng.ts';
import { createOrtKernel, type OrtLike } from './ortKernel.ts';
import { createOrtNodeKernel } from './ortNode.ts';
import { forwardGraph, studentModels } from './studentGraph.ts';
import { encodeModel } from './onnxProto.ts';

const N = 257; // odd on purpose: no SIMD-friendly sizes
const M = 37;
const C = 5;
const pr = syntheticProblem({ N, M, C, seed: 21, factors: 6 });
const js = createJsKernel(pr.A, pr.P);

function randW(J: number, seed: number): { W: Float32Array; b: Float32Array } {
  const r = mulberry32(seed);
  return {
    W: Float32Array.from({ length: J * M }, () => 0.3 * randNormal(r)),
    b: Float32Array.from({ length: J }, () => randNormal(r)),
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function maxAbs(a: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]));
  return d;
}

describe('onnx protobuf writer', () => {
  it('writes what onnx-proto reads back', () => {
    const g = forwardGraph(pr.A.data, pr.P.data, N, M, C);
    const model = onnx.ModelProto.decode(encodeModel(g));
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport[0].version).toEqual(expect.anything());
    expect(Number(model.opsetImport[0].version)).toBe(g.opset);
    const graph = model.graph as onnx.GraphProto; // decoded messages have every repeated field
    expect(graph.node.map((n) => n.opType)).toEqual(g.nodes.map((n) => n.op));
    expect((graph.node[0] as onnx.NodeProto).attribute[0].name).toBe('transB');
    expect(Number((graph.node[0] as onnx.NodeProto).attribute[0].i)).toBe(1);
    const A = graph.initializer.find((t) => t.name === 'A') as onnx.TensorProto;
    expect(A.dims.map(Number)).toEqual([N, M]);
    const raw = A.rawData!;
    expect(Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)))).toEqual(Array.from(pr.A.data));
    const W = graph.input.find((v) => v.name === 'W') as onnx.ValueInfoProto;
    expect((W.type!.tensorType!.shape!.dim ?? []).map((d) => d.dimParam || Number(d.dimValue))).toEqual(['J', M]);
  });
});

const runtimes: [string, () => Promise<StudentKernel>][] = [
  ['onnxruntime-node', () => createOrtNodeKernel(pr.A.data, pr.P.data, N, M, C)],
  [
    'onnxruntime-web (wasm, Node build)',
    () => {
      ortWeb.env.wasm.numThreads = 1;
      // The browser's configuration: its wasm builds have no float64 kernels.
      return createOrtKernel(ortWeb as unknown as OrtLike, pr.A.data, pr.P.data, N, M, C, { name: 'ort-web-node', sums: 'blocked' });
    },
  ],
];

for (const [label, make] of runtimes) {
  describe(`student kernel on ${label}`, () => {
    let kernel: StudentKernel;
    beforeAll(async () => {
      kernel = await make();
    });
    afterAll(async () => {
      await kernel?.dispose();
    });

    // Scrambled classes and members, three members with bootstrap weights.
    const cols: ColumnSet = { J: 7, cls: Int32Array.from([4, 0, 2, 2, 1, 0, 3]), mem: Int32Array.from([0, 2, 1, 0, 2, 1, 1]) };
    const rowW = bootstrapWeights(N, 3, 5);

    it('forward matches the JS kernel (logits and losses)', async () => {
      const { W, b } = randW(cols.J, 1);
      const [o, r] = await Promise.all([kernel.forward(W, b, cols, rowW), js.forward(W, b, cols, rowW)]);
      expect(o.Z.length).toBe(N * cols.J);
      expect(maxAbsDiff(o.Z, r.Z)).toBeLessThan(1e-5 * Math.max(1, maxAbs(r.Z)));
      for (let j = 0; j < cols.J; j++) expect(Math.abs(o.loss[j] - r.loss[j])).toBeLessThan(1e-5 * Math.abs(r.loss[j]) + 1e-7);
    });

    it('backward matches the JS kernel (losses and gradients)', async () => {
      const { W, b } = randW(cols.J, 2);
      const { Z } = await js.forward(W, b, cols, rowW);
      const [o, r] = await Promise.all([kernel.backward(Z, cols, rowW), js.backward(Z, cols, rowW)]);
      const scale = maxAbs(r.gradW);
      expect(scale).toBeGreaterThan(1e-3); // a non-trivial gradient, so the comparison means something
      expect(maxAbsDiff(o.gradW, r.gradW)).toBeLessThan(1e-5 * scale);
      expect(maxAbsDiff(o.gradb, r.gradb)).toBeLessThan(1e-5 * maxAbs(r.gradb));
      for (let j = 0; j < cols.J; j++) expect(Math.abs(o.loss[j] - r.loss[j])).toBeLessThan(1e-5 * Math.abs(r.loss[j]));
    });

    it('handles extreme logits without overflow', async () => {
      const W = new Float32Array(cols.J * M);
      const b = Float32Array.from({ length: cols.J }, (_, j) => (j % 2 ? 200 : -200));
      const [o, r] = await Promise.all([kernel.forward(W, b, cols, rowW), js.forward(W, b, cols, rowW)]);
      for (let j = 0; j < cols.J; j++) {
        expect(Number.isFinite(o.loss[j])).toBe(true);
        expect(Math.abs(o.loss[j] - r.loss[j])).toBeLessThan(1e-5 * Math.abs(r.loss[j]) + 1e-6);
      }
    });

    it('serves column subsets with other member counts on the same sessions', async () => {
      const one: ColumnSet = { J: 2, cls: Int32Array.from([3, 1]), mem: Int32Array.from([0, 0]) };
      const w1 = { K: 1, data: new Float32Array(N).fill(1 / N) };
      const { W, b } = randW(2, 3);
      const [o, r] = await Promise.all([kernel.forward(W, b, one, w1), js.forward(W, b, one, w1)]);
      expect(maxAbsDiff(o.loss, r.loss)).toBeLessThan(1e-6);
    });
  });
}

describe('loss sums', () => {
  it('are accurate to the lossEps each kernel declares (float64 and blocked, N = 30k)', async () => {
    const big = syntheticProblem({ N: 30_000, M: 4, C: 3, seed: 4, factors: 2 });
    const ref = createJsKernel(big.A, big.P);
    const cols: ColumnSet = { J: 12, cls: Int32Array.from({ length: 12 }, (_, j) => j % 3), mem: Int32Array.from({ length: 12 }, (_, j) => Math.floor(j / 3)) };
    const rowW = bootstrapWeights(30_000, 4, 2);
    const W = Float32Array.from({ length: 12 * 4 }, (_, k) => Math.sin(k));
    const b = new Float32Array(12).fill(-1.5);
    const { Z, loss } = await ref.forward(W, b, cols, rowW);
    for (const sums of ['float64', 'blocked'] as const) {
      const k = await createOrtKernel(ortNode as unknown as OrtLike, big.A.data, big.P.data, 30_000, 4, 3, { name: sums, sums });
      try {
        const o = await k.backward(Z, cols, rowW);
        let worst = 0;
        for (let j = 0; j < 12; j++) worst = Math.max(worst, Math.abs(o.loss[j] - loss[j]) / loss[j]);
        expect(worst).toBeLessThan(k.lossEps!);
        // A plain float32 running sum would not pass the float64 kernel's claim.
        if (sums === 'float64') expect(k.lossEps!).toBeLessThan(2e-7);
      } finally {
        await k.dispose();
      }
    }
  });
});

describe('tiny problems', () => {
  it('work with both loss-sum modes (N smaller than a block)', async () => {
    const t = syntheticProblem({ N: 3, M: 2, C: 2, seed: 8 });
    const ref = await fitStudent(t.A, t.P, { tol: 1e-7, maxIter: 2000 });
    for (const sums of ['float64', 'blocked'] as const) {
      const k = await createOrtKernel(ortNode as unknown as OrtLike, t.A.data, t.P.data, 3, 2, 2, { name: sums, sums });
      try {
        const r = await fitStudent(t.A, t.P, { kernel: k, tol: 1e-7, maxIter: 2000 });
        expect(Math.abs(r.objective - ref.objective)).toBeLessThan(1e-5);
      } finally {
        await k.dispose();
      }
    }
  });
});

describe('fits on onnxruntime-node', () => {
  it('reach the same model as the JS kernel', async () => {
    const kernel = await createOrtNodeKernel(pr.A.data, pr.P.data, N, M, C);
    try {
      const a = await fitStudent(pr.A, pr.P, { kernel, tol: 1e-7, maxIter: 5000 });
      const b = await fitStudent(pr.A, pr.P, { tol: 1e-7, maxIter: 5000 });
      expect(maxAbsDiff(a.model.W, b.model.W)).toBeLessThan(2e-3 * maxAbs(b.model.W));
      expect(Math.abs(a.objective - b.objective)).toBeLessThan(1e-6 * b.objective);
      const e = await fitEnsemble(pr.A, pr.P, { kernel, members: 3, seed: 1 });
      const f = await fitEnsemble(pr.A, pr.P, { members: 3, seed: 1 });
      expect(maxAbsDiff(e.served.W, f.served.W)).toBeLessThan(2e-2 * maxAbs(f.served.W));
    } finally {
      await kernel.dispose();
    }
  });

  it('a kernel built for other data is refused, and a disposed one fails loudly', async () => {
    const kernel = await createOrtNodeKernel(pr.A.data, pr.P.data, N, M, C);
    const other = syntheticProblem({ N: 10, M, C, seed: 1 });
    await expect(fitStudent(other.A, other.P, { kernel })).rejects.toThrow(/other data/);
    await kernel.dispose();
    await expect(fitStudent(pr.A, pr.P, { kernel })).rejects.toThrow(/after dispose/);
  });

  it('the two graphs are valid standalone models', async () => {
    const m = studentModels(pr.A.data, pr.P.data, N, M, C);
    const s = await ortNode.InferenceSession.create(m.backward);
    expect(s.inputNames).toEqual(['Z', 'depthK', 'cls', 'mem', 'rowW']);
    expect(s.outputNames).toEqual(['loss', 'gradW', 'gradb']);
    await s.release();
  });
});
