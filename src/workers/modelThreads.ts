/**
 * WASM threads for a model run inside a worker: every core up to 4 (onnxruntime-web's own default
 * is half of them, 1 thread on a 2-core machine), and 1 without cross-origin isolation, where
 * threads are not available. The train and embed workers both use it.
 */
export function modelThreads(): number {
  return self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
}
