/** Held-out metrics, flips between students, and the seeded train / held-out split. */
export * from './metrics.ts';
export * from './flips.ts';
export * from './split.ts';
