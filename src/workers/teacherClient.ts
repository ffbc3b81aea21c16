/**
 * The UI side of the teacher worker: lazy start, cancellation by terminating the worker (the
 * next call starts a fresh one and loads the model again).
 */
import type { TeacherApi } from './teacher.worker.ts';
import type { TeacherRunResult } from './teacherApi.ts';
import { workerHandle, type Spawned } from './lifecycle.ts';

function spawnBrowserWorker(): Spawned {
  const worker = new Worker(new URL('./teacher.worker.ts', import.meta.url), { type: 'module', name: 'teacher' });
  return { endpoint: worker, terminate: () => worker.terminate() };
}

export function createTeacherClient(spawn: () => Spawned = spawnBrowserWorker) {
  const worker = workerHandle<TeacherApi>(spawn);
  return {
    /** Probabilities of the ONNX classifier for the files (copied to the worker: the caller keeps its bytes). */
    run(model: { name: string; bytes: Uint8Array }, labels: { name: string; text: string }, files: { id: string; bytes: Uint8Array }[], signal?: AbortSignal): Promise<TeacherRunResult> {
      const slot = worker.get();
      return worker.abortable(slot, slot.api.run(model, labels, files) as Promise<TeacherRunResult>, signal);
    },
    dispose: worker.dispose,
  };
}

export type TeacherClient = ReturnType<typeof createTeacherClient>;
