/**
 * The ONNX teacher on onnxruntime-web, for a worker. The runtime is the studio's one
 * onnxruntime-web setup (kernels/ortWeb.ts: the asyncify build, wasm served from our own origin),
 * so the browser fetches one wasm for the student kernel and the teacher. Browser/worker only.
 */
import { configureOrtWeb } from './kernels/ortWeb.ts';
import { createOnnxTeacher, type OnnxTeacher, type TeacherLoadOptions, type TeacherOrt } from './teacher.ts';

export interface WebTeacherOptions extends TeacherLoadOptions {
  /** WASM threads (needs cross-origin isolation); only the first onnxruntime-web user's choice applies. */
  numThreads?: number;
  /** Default ['wasm']. */
  executionProviders?: string[];
}

export function loadOnnxTeacherWeb(modelBytes: Uint8Array, description: unknown, opts: WebTeacherOptions = {}): Promise<OnnxTeacher> {
  const ort = configureOrtWeb({ numThreads: opts.numThreads });
  return createOnnxTeacher(ort as unknown as TeacherOrt, modelBytes, description, {
    ...opts,
    sessionOptions: { executionProviders: opts.executionProviders ?? ['wasm'], ...opts.sessionOptions },
  });
}
