/**
 * Browser/worker-only setup of onnxruntime-web: serve its wasm from our own origin (transformers
 * v4 would fetch it from a public CDN, which fails offline and under COEP; BROWSER-ML.md §2.3).
 * The `?url` imports make Vite emit the two files as hashed assets; they resolve to the
 * onnxruntime-web version transformers pins, so JS and wasm always match. Node never imports
 * this file (onnxruntime-node needs no wasm).
 */
import { env } from '@huggingface/transformers';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

export interface RuntimeOptions {
  /** WASM threads; needs cross-origin isolation. Default: onnxruntime's own choice. */
  numThreads?: number;
}

export function configureBrowserRuntime(opts: RuntimeOptions = {}): void {
  const wasm = env.backends.onnx.wasm!;
  const base = (globalThis as { location?: { href: string } }).location?.href ?? '';
  wasm.wasmPaths = { mjs: new URL(ortMjs, base).href, wasm: new URL(ortWasm, base).href };
  if (opts.numThreads) wasm.numThreads = opts.numThreads;
}
