/**
 * Student kernel on onnxruntime-node (Node only: CLI, benchmarks, tests). Never import this
 * from browser code; the worker uses ortWeb.ts.
 */
import * as ort from 'onnxruntime-node';
import type { KernelFactory, StudentKernel } from '../../core/student/kernel.ts';
import { createOrtKernel, type OrtLike } from './ortKernel.ts';

export interface OrtNodeKernelOptions {
  /** Intra-op threads (default: onnxruntime's choice, all physical cores). */
  threads?: number;
}

export function ortNodeKernelFactory(o: OrtNodeKernelOptions = {}): KernelFactory {
  return (A, P, N, M, C): Promise<StudentKernel> =>
    createOrtKernel(ort as unknown as OrtLike, A, P, N, M, C, {
      name: 'ort-node',
      sessionOptions: {
        executionProviders: ['cpu'],
        ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
      },
    });
}

/** Kernel factory with default options. */
export const createOrtNodeKernel: KernelFactory = ortNodeKernelFactory();
