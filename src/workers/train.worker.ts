import './zodJitless.ts'; // first: no CSP-violating eval probe from zod
/** Train worker entry: exposes distill and tune (see trainApi.ts) over Comlink. */
import { expose } from 'comlink';
import { createTrainApi } from './trainApi.ts';
import { ortWebKernelFactory } from '../ml/kernels/ortWeb.ts';
import { createJsKernel } from '../core/student/jsKernel.ts';
import type { KernelFactory } from '../core/student/kernel.ts';

// onnxruntime-web's GEMM is 3–4× the plain-JS kernel here; threads need cross-origin isolation.
const ort = ortWebKernelFactory({ numThreads: self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1 });

// If onnxruntime cannot start (wasm blocked, old browser), the JS kernel computes the same fit, slower.
const kernel: KernelFactory = async (A, P, N, M, C) => {
  try {
    return await ort(A, P, N, M, C);
  } catch (e) {
    console.warn('onnxruntime-web kernel unavailable, using the JavaScript kernel:', e);
    return createJsKernel({ rows: N, cols: M, data: A }, { rows: N, cols: C, data: P });
  }
};

expose(createTrainApi(async () => kernel));
