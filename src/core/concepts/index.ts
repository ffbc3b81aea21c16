/** Concept scoring: activations from region embeddings, standardisation, corpus hygiene. */
export * from './activations.ts';
export * from './stats.ts';
export * from './hygiene.ts';
