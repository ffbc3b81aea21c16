/** Student solver (METHODS.md §4) and bounded refits (§5): the public surface of core/student. */
export type { StudentKernel, KernelFactory, ColumnSet, RowWeights, ForwardResult, BackwardResult } from './kernel.ts';
export { createJsKernel } from './jsKernel.ts';
export {
  DEFAULT_LAMBDA,
  DEFAULT_MEMBER_TOL,
  fitStudent,
  fitEnsemble,
  fitEnsembleDetailed,
  refitWithBounds,
  refitWithBoundsDetailed,
  summariseMembers,
  bootstrapWeights,
  objective,
  type FitOptions,
  type FitResult,
  type EnsembleOptions,
  type EnsembleFit,
  type RefitDetail,
  type RefitOptions,
} from './fit.ts';
export { solveColumns, type ColumnProblem, type SolveOptions, type SolveResult } from './fista.ts';
export { syntheticProblem, type SyntheticOptions, type SyntheticProblem } from './synthetic.ts';
