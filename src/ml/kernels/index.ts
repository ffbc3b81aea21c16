/**
 * Student kernels (contract: core/student/kernel.ts). Import the runtime-specific factory from
 * its own file so a bundle never pulls in the other runtime:
 *   Node (CLI, bench, tests):  import { createOrtNodeKernel } from 'src/ml/kernels/ortNode.ts'
 *   train worker (browser):    import { ortWebKernelFactory } from 'src/ml/kernels/ortWeb.ts'
 */
export { createOrtKernel, type OrtLike, type OrtKernelOptions } from './ortKernel.ts';
export { studentModels } from './studentGraph.ts';
