import './zodJitless.ts'; // first: no CSP-violating eval probe from zod
/** Train worker entry: exposes distill and tune (see trainApi.ts) over Comlink. */
import { expose } from 'comlink';
import { createTrainApi } from './trainApi.ts';
import { ortWebKernelFactory } from '../ml/kernels/ortWeb.ts';
import { createJsKernel } from '../core/student/jsKernel.ts';
import { cachingKernelFactory } from '../core/student/kernelCache.ts';
import type { KernelFactory } from '../core/student/kernel.ts';
import { modelThreads } from './modelThreads.ts';

// onnxruntime-web's GEMM is 3–4× the plain-JS kernel on large data; threads need cross-origin isolation.
const ort = ortWebKernelFactory({ numThreads: modelThreads() });

/**
 * Below this many activations (N·M) the JS kernel is faster: onnxruntime costs seconds to start
 * (wasm, sessions with A inside) and ~20 ms per call, while the JS kernel did the demo
 * (1,176 × 124) in 2.0 ms per iteration against onnxruntime's 24.7 (tools/bench/studentBrowser.ts).
 */
const SMALL = 400_000;

const js = (A: Float32Array, P: Float32Array, N: number, M: number, C: number) => createJsKernel({ rows: N, cols: M, data: A }, { rows: N, cols: C, data: P });

// If onnxruntime cannot start (wasm blocked, old browser), the JS kernel computes the same fit, slower.
// The kernel is kept between calls: a refit fits the same rows as the distil or refit before it.
const kernel: KernelFactory = cachingKernelFactory(async (A, P, N, M, C) => {
  if (N * M <= SMALL) return js(A, P, N, M, C);
  try {
    return await ort(A, P, N, M, C);
  } catch (e) {
    console.warn('onnxruntime-web kernel unavailable, using the JavaScript kernel:', e);
    return js(A, P, N, M, C);
  }
});

expose(createTrainApi(async () => kernel));
