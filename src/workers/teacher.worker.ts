import './zodJitless.ts'; // first: no CSP-violating eval probe from zod
/** Teacher worker entry: the user's ONNX classifier over image files (see teacherApi.ts). */
import { expose } from 'comlink';
import { createTeacherApi } from './teacherApi.ts';
import { configureOrtWeb } from '../ml/kernels/ortWeb.ts';
import { loadTeacherWithLabels } from '../ml/teacherLabels.ts';
import type { TeacherOrt } from '../ml/teacher.ts';
import { decodeImage } from '../data/images/index.ts';

const api = createTeacherApi({
  load: (model, labels) => loadTeacherWithLabels(configureOrtWeb() as unknown as TeacherOrt, model, labels, { sessionOptions: { executionProviders: ['wasm'] } }),
  decode: (bytes, name) => decodeImage(bytes, name),
});

expose(api);
export type TeacherApi = typeof api;
