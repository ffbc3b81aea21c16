export * from './domain.ts';
export * from './shiftEval.ts';
export * from './ood.ts';
