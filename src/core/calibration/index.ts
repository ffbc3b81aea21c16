export * from './domain.ts';
export * from './shiftEval.ts';
