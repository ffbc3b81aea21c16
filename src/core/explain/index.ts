/** Explanations: per-image contributions, exact pairwise decompositions, template sentences. */
export * from './contributions.ts';
export * from './pairwise.ts';
export * from './sentences.ts';
