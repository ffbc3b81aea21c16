// The command line end to end on synthetic data, in-process (plus one real spawn of the bin).
import { runCli } from '../../tests/support/runCli.ts';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeNpy, parseNpy } from '../../src/core/io/npy.ts';
import { syntheticProblem } from '../../src/core/student/synthetic.ts';
import { parseStudentExport } from '../../src/core/schema/parse.ts';

let dir: string;
const M = 12;
const C = 3;
const N = 500;

const run = runCli;

const f = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-'));
  const prob = syntheticProblem({ N, M, C, seed: 11 });
  // Raw activations on CLIP's cosine scale; concept 0 is made a strong shortcut for class 1.
  const raw = prob.A.data.map((v) => 0.2 + 0.05 * v);
  writeFileSync(f('A.npy'), writeNpy(raw, [N, M]));
  writeFileSync(f('P.npy'), writeNpy(prob.P.data, [N, C]));
  const teacherLabels = new Int32Array(N).map((_, i) => {
    const row = prob.P.data.subarray(i * C, (i + 1) * C);
    return row.indexOf(Math.max(...row));
  });
  writeFileSync(f('labels.npy'), writeNpy(teacherLabels, [N]));
  writeFileSync(f('concepts.txt'), Array.from({ length: M }, (_, j) => `concept ${j}\tcategory ${j % 3}`).join('\n') + '\n');
  writeFileSync(f('classes.txt'), 'ok\nrusty\ncracked\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('concept-studio distill / tune / predict', () => {
  it('distills, reporting held-out fidelity and accuracy, and writes a valid export', async () => {
    const r = await run('distill', '--activations', f('A.npy'), '--teacher', f('P.npy'), '--concepts', f('concepts.txt'), '--classes', f('classes.txt'),
      '--labels', f('labels.npy'), '--members', '4', '--out', f('s.json'), '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/held-out fidelity \d+\.\d %.*100 images/);
    expect(r.out).toMatch(/held-out accuracy \d+\.\d %/);
    const parsed = parseStudentExport(readFileSync(f('s.json'), 'utf8'));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value.student.members.W).toHaveLength(4);
      expect(parsed.value.concepts[2]).toMatchObject({ name: 'concept 2', category: 'category 2' });
      expect(parsed.value.metrics.splits).toEqual({ distill: 400, heldOut: 100 });
      expect(parsed.value.check.images.length).toBeGreaterThan(0);
    }
  });

  it('accepts teacher labels instead of probabilities', async () => {
    const r = await run('distill', '--activations', f('A.npy'), '--teacher', f('labels.npy'), '--concepts', f('concepts.txt'), '--classes', f('classes.txt'),
      '--members', '2', '--out', f('s-labels.json'), '--quiet');
    expect(r.code).toBe(0);
    expect(existsSync(f('s-labels.json'))).toBe(true);
  });

  it('bans a concept for all classes: the weights become 0 and the deltas and flips are printed', async () => {
    const r = await run('tune', '--student', f('s.json'), '--activations', f('A.npy'), '--teacher', f('P.npy'), '--labels', f('labels.npy'),
      '--class', 'all', '--concept', 'Concept 0', '--op', 'ban', '--out', f('s2.json'), '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Banned 'concept 0' for all classes/);
    expect(r.out).toMatch(/Δfidelity [+−±]\d+\.\d points, Δaccuracy [+−±]\d+\.\d points/);
    expect(r.out).toMatch(/flipped \d+ of 100 held-out images/);
    const doc = JSON.parse(readFileSync(f('s2.json'), 'utf8'));
    for (let c = 0; c < C; c++) expect(doc.student.W[c * M]).toBe(0);
    expect(doc.provenance.nodes.at(-1)).toMatchObject({ action: 'tune', label: "Banned 'concept 0' for all classes" });
    expect(doc.provenance.head).toBe(doc.provenance.nodes.at(-1).id);

    // A later tune keeps the ban in force.
    const r2 = await run('tune', '--student', f('s2.json'), '--activations', f('A.npy'), '--teacher', f('P.npy'),
      '--class', 'rusty', '--concept', 'concept 3', '--op', 'uptune', '--factor', '3', '--out', f('s3.json'), '--quiet');
    expect(r2.code).toBe(0);
    const doc3 = JSON.parse(readFileSync(f('s3.json'), 'utf8'));
    for (let c = 0; c < C; c++) expect(doc3.student.W[c * M]).toBe(0);
  });

  it('predicts per image, as CSV and as .npy', async () => {
    const csv = await run('predict', '--student', f('s.json'), '--activations', f('A.npy'));
    expect(csv.code).toBe(0);
    const lines = csv.out.trim().split('\n');
    expect(lines[0]).toBe('image,prediction,p(ok),p(rusty),p(cracked)');
    expect(lines).toHaveLength(N + 1);
    expect(lines[1]).toMatch(/^0,(ok|rusty|cracked),0\.\d{4},/);
    const npy = await run('predict', '--student', f('s.json'), '--activations', f('A.npy'), '--out', f('pred.npy'));
    expect(npy.code).toBe(0);
    const arr = parseNpy(readFileSync(f('pred.npy')));
    expect(arr.shape).toEqual([N, C]);
    // The CSV and the .npy agree.
    expect(Number(lines[1].split(',')[2])).toBeCloseTo(arr.data[0], 4);
  });

  it('refuses bad input with one clear line and writes nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['distill', '--activations', f('A.npy'), '--teacher', f('P.npy'), '--concepts', f('classes.txt'), '--classes', f('classes.txt'), '--out', f('x.json')], /has 12 columns but classes.txt lists 3 concepts/],
      [['distill', '--activations', f('concepts.txt'), '--teacher', f('P.npy'), '--concepts', f('concepts.txt'), '--classes', f('classes.txt'), '--out', f('x.json')], /is not a .npy file/],
      [['distill', '--activations', f('A.npy'), '--teacher', f('P.npy'), '--concepts', f('concepts.txt'), '--classes', f('missing.txt'), '--out', f('x.json')], /cannot read classes .*missing.txt: no such file/],
      [['distill', '--activations', f('A.npy'), '--teacher', f('P.npy'), '--concepts', f('concepts.txt'), '--classes', f('classes.txt'), '--members', 'many', '--out', f('x.json')], /--members must be a number/],
      [['tune', '--student', f('s.json'), '--activations', f('A.npy'), '--teacher', f('P.npy'), '--class', 'rusty', '--concept', 'rust', '--op', 'ban', '--out', f('x.json')], /unknown concept "rust"/],
      [['tune', '--student', f('s.json'), '--activations', f('A.npy'), '--teacher', f('P.npy'), '--class', 'rusty', '--concept', 'concept 1', '--op', 'boost', '--out', f('x.json')], /--op must be one of/],
      [['tune', '--student', f('concepts.txt'), '--activations', f('A.npy'), '--teacher', f('P.npy'), '--class', 'rusty', '--concept', 'concept 1', '--op', 'ban', '--out', f('x.json')], /student concepts.txt: /],
      [['predict', '--student', f('s.json')], /missing --activations/],
    ];
    // A NaN in the activations is named with its place.
    const bad = parseNpy(readFileSync(f('A.npy')));
    const data = Float32Array.from(bad.data);
    data[3 * M + 5] = NaN;
    writeFileSync(f('A-nan.npy'), writeNpy(data, [N, M]));
    cases.push([['predict', '--student', f('s.json'), '--activations', f('A-nan.npy')], /holds NaN at row 3, column 5/]);
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(existsSync(f('x.json'))).toBe(false);
    }
  });

  it('runs as a real command through bin/concept-studio.mjs', () => {
    const bin = new URL('../../bin/concept-studio.mjs', import.meta.url).pathname;
    expect(execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })).toMatch(/usage: concept-studio <command>[\s\S]*distill[\s\S]*tune[\s\S]*predict/);
    const bad = spawnSync(process.execPath, [bin, 'predict', '--student', f('nope.json'), '--activations', f('A.npy')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^concept-studio predict: cannot read student .*nope.json: no such file\n$/);
  });
});
