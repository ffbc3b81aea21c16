/**
 * Student kernel on onnxruntime-web, for the train worker. Uses the same build and wasm files as
 * the CLIP side (`onnxruntime-web/webgpu` = the asyncify build transformers v4 loads), served from
 * our own origin (BROWSER-ML.md §2.3), so the browser fetches and caches one 27 MB wasm, not two.
 * Browser/worker only: the `?url` imports need Vite. Node code uses ortNode.ts.
 */
import * as ort from 'onnxruntime-web/webgpu';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { KernelFactory, StudentKernel } from '../../core/student/kernel.ts';
import { createOrtKernel, type OrtLike } from './ortKernel.ts';

export interface OrtWebKernelOptions {
  /** WASM threads (needs cross-origin isolation; default: onnxruntime's choice). */
  numThreads?: number;
  /**
   * Default ['wasm']. 'webgpu' would run the GEMMs on the GPU, but every call reads Z (N×J)
   * back to the CPU; not measured yet, so not the default.
   */
  executionProviders?: string[];
}

let configured = false;

/**
 * Point onnxruntime-web at our own copies of its wasm; must run before the first session. Shared
 * by every onnxruntime-web session of the studio (student kernel, ONNX teacher: ml/teacherWeb.ts).
 * Returns the configured module. The first caller's options win.
 */
export function configureOrtWeb(o: Pick<OrtWebKernelOptions, 'numThreads'> = {}): typeof ort {
  if (configured) return ort;
  const base = (globalThis as { location?: { href: string } }).location?.href ?? '';
  ort.env.wasm.wasmPaths = { mjs: new URL(ortMjs, base).href, wasm: new URL(ortWasm, base).href };
  if (o.numThreads) ort.env.wasm.numThreads = o.numThreads;
  // We are already inside a worker: a proxy worker would only add copies.
  ort.env.wasm.proxy = false;
  configured = true;
  return ort;
}

export function ortWebKernelFactory(o: OrtWebKernelOptions = {}): KernelFactory {
  return (A, P, N, M, C): Promise<StudentKernel> => {
    configureOrtWeb(o);
    return createOrtKernel(ort as unknown as OrtLike, A, P, N, M, C, {
      name: 'ort-web',
      // The browser's wasm builds register no float64 Cast/ReduceSum kernels.
      sums: 'blocked',
      sessionOptions: { executionProviders: o.executionProviders ?? ['wasm'] },
    });
  };
}
