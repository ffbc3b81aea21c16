/** Student export (METHODS §9): v1 schema, number encoding, migrations, parse/validate, build, check block. */
export * from './numbers.ts';
export * from './exportV1.ts';
export * from './migrate.ts';
export * from './validate.ts';
export * from './checkBlock.ts';
export * from './parse.ts';
export * from './build.ts';
export * from './update.ts';
