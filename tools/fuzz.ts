/**
 * `npm run fuzz [-- --rounds N --timeout S]`: the property tests (every test file that imports
 * fast-check) under fresh random seeds, one vitest run per seed with a wall-clock limit. CI runs
 * them under one fixed seed (tests/setup/fuzzSeed.ts); this is where new damaged inputs are found.
 * Prints each seed with its outcome; a failing or hanging seed is reproduced with
 * `FUZZ_SEED=<seed> npx vitest run <files>`. Exits non-zero if any round failed or hung.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { randomInt } from 'node:crypto';

const ROOT = resolve(import.meta.dirname, '..');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const rounds = arg('rounds', 5);
const timeoutS = arg('timeout', 300);

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (n === 'node_modules' || n.startsWith('.')) return [];
    if (statSync(p).isDirectory()) return testFiles(p);
    return n.endsWith('.test.ts') && readFileSync(p, 'utf8').includes("from 'fast-check'") ? [relative(ROOT, p)] : [];
  });
}
const files = ['src', 'tests', 'tools'].flatMap((d) => testFiles(join(ROOT, d)));
console.log(`${files.length} property-test files, ${rounds} rounds, ${timeoutS} s each`);
let bad = 0;
for (let r = 0; r < rounds; r++) {
  const seed = randomInt(1, 2 ** 31 - 1);
  const t0 = Date.now();
  const run = await runVitest(seed);
  const s = ((Date.now() - t0) / 1000).toFixed(0);
  const hung = run.hung;
  const outcome = hung ? `HUNG (killed after ${s} s)` : run.status === 0 ? `passed (${s} s)` : `FAILED (${s} s)`;
  console.log(`FUZZ_SEED=${seed}: ${outcome}`);
  if (hung || run.status !== 0) {
    bad++;
    const out = run.output.split('\n').filter((l) => /FAIL|×|Counterexample|seed|Error/.test(l));
    for (const l of out.slice(0, 20)) console.log(`  ${l}`);
  }
}
console.log(bad ? `${bad} of ${rounds} rounds failed or hung` : 'all rounds passed');
process.exit(bad ? 1 : 0);

/** One vitest run in its own process group, so a hung fork worker is killed with it. */
function runVitest(seed: number): Promise<{ status: number | null; hung: boolean; output: string }> {
  return new Promise((done) => {
    const child = spawn('npx', ['vitest', 'run', ...files], { cwd: ROOT, env: { ...process.env, FUZZ_SEED: String(seed) }, detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutS * 1000);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, hung, output: output.replace(/\x1b\[[0-9;]*m/g, '') });
    });
  });
}
