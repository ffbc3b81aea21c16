/** Tuning: live quick edits, tune bounds (the Box for the refit), the one-image fix helper. */
export * from './liveLogits.ts';
export * from './bounds.ts';
export * from './fix.ts';
