/** Project state, the pure reducer, plain-language labels and the state+history session. */
export * from './types.ts';
export * from './labels.ts';
export * from './reducer.ts';
export * from './session.ts';
export * from './export.ts';
