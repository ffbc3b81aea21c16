/** Provenance tree: reversible diffs, content-addressed snapshots, branching undo/redo. */
export * from './types.ts';
export * from './diff.ts';
export * from './hash.ts';
export * from './query.ts';
export * from './tree.ts';
