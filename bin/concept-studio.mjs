#!/usr/bin/env node
// Runs the TypeScript CLI (tools/cli/main.ts) through tsx, so the checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../tools/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
