/**
 * Reuse of the last student kernel for the same data. A refit after a distil (or after another
 * refit) fits the very same train rows and targets, and creating a kernel is the expensive
 * part of a small refit: the onnxruntime kernel builds two sessions with A (N×M) inside the
 * graph, seconds in a browser worker. The wrapper keeps the last kernel alive and hands it out
 * again when A and P are equal element for element; data that differs gets a new kernel and the
 * old one is disposed.
 *
 * Every caller gets the same borrowed view of the kept kernel (one object per kept kernel), so
 * the solver can recognise it across calls and skip member columns it has already solved on it
 * (fit.ts, `SolvedColumns`).
 */
import type { KernelFactory, StudentKernel } from './kernel.ts';

export interface CachingKernelFactory extends KernelFactory {
  /** How many kernels the underlying factory has made (tests, benchmarks). */
  readonly made: number;
  /** Dispose the kept kernel. */
  clear(): Promise<void>;
}

/** Bit-exact equality (NaN equals NaN, −0 differs from +0): the kernel saw these very bits. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A view of a kept kernel whose dispose leaves it alive for the next caller. */
function borrowed(k: StudentKernel): StudentKernel {
  return {
    name: k.name,
    N: k.N,
    M: k.M,
    C: k.C,
    ...(k.lossEps !== undefined ? { lossEps: k.lossEps } : {}),
    forward: (W, b, cols, rowW) => k.forward(W, b, cols, rowW),
    backward: (Z, cols, rowW) => k.backward(Z, cols, rowW),
    dispose: async () => undefined,
  };
}

export function cachingKernelFactory(make: KernelFactory): CachingKernelFactory {
  // A and P are kept by reference (callers build them fresh per fit and never change them).
  let kept: { A: Float32Array; P: Float32Array; N: number; M: number; C: number; kernel: StudentKernel; view: StudentKernel } | null = null;
  let made = 0;
  const clear = async () => {
    const k = kept;
    kept = null;
    if (k) await k.kernel.dispose();
  };
  const factory = async (A: Float32Array, P: Float32Array, N: number, M: number, C: number): Promise<StudentKernel> => {
    if (kept && kept.N === N && kept.M === M && kept.C === C && sameBits(kept.P, P) && sameBits(kept.A, A)) return kept.view;
    await clear();
    const kernel = await make(A, P, N, M, C);
    made++;
    kept = { A, P, N, M, C, kernel, view: borrowed(kernel) };
    return kept.view;
  };
  Object.defineProperty(factory, 'made', { get: () => made });
  return Object.assign(factory, { clear }) as CachingKernelFactory;
}
