/**
 * The ONNX teacher on onnxruntime-node (CLI, tools, tests). Never import this from browser code;
 * workers use teacherWeb.ts. Reading files is the caller's job (this folder has no Node types):
 * pass the model's bytes and the parsed or raw teacher.json.
 */
import * as ort from 'onnxruntime-node';
import { createOnnxTeacher, type OnnxTeacher, type TeacherLoadOptions, type TeacherOrt } from './teacher.ts';

export interface NodeTeacherOptions extends TeacherLoadOptions {
  /** Intra-op threads (default: onnxruntime's choice). */
  threads?: number;
}

export function loadOnnxTeacherNode(modelBytes: Uint8Array, description: unknown, opts: NodeTeacherOptions = {}): Promise<OnnxTeacher> {
  return createOnnxTeacher(ort as unknown as TeacherOrt, modelBytes, description, {
    ...opts,
    sessionOptions: { executionProviders: ['cpu'], ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}), ...opts.sessionOptions },
  });
}
