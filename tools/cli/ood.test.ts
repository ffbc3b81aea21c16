// `concept-studio predict --embeddings`: predictions from image embeddings and the OOD flag of the export's ood block.
import { randomModel, unitRows } from '../../tests/support/random.ts';
import { runCli } from '../../tests/support/runCli.ts';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/core/io/npy.ts';
import { buildStudentExport, provenanceToJson, serializeStudentExport, type StudentExportInput } from '../../src/core/schema/build.ts';
import { createSession, dispatch } from '../../src/core/project/session.ts';
import { emptyProject } from '../../src/core/project/types.ts';
import { conceptActivations } from '../../src/core/concepts/activations.ts';
import { mcmScores, passThreshold, studentPrototypes } from '../../src/core/ood/ood.ts';
import type { Ensemble } from '../../src/core/types.ts';

const C = 3, M = 5, D = 8, N = 40;
let dir: string;
const f = (name: string) => join(dir, name);

const lm = (seed: number) => randomModel(C, M, seed);
const run = runCli;

const classText = unitRows(C, D, 6);
const conceptText = unitRows(M, D, 7);
const stats = { mu: new Float32Array(M).fill(0.2), sigma: new Float32Array(M).fill(0.05) };
const images = unitRows(N, D, 9);
let threshold = 0;

function input(ood: StudentExportInput['ood']): StudentExportInput {
  const ensemble: Ensemble = { served: lm(1), members: [lm(2)], lo: lm(4).W, hi: lm(5).W };
  const classes = ['ok', 'rusty', 'cracked'].map((name) => ({ name }));
  const concepts = Array.from({ length: M }, (_, j) => ({ name: `concept ${j}` }));
  let s = createSession({ ...emptyProject(classes, concepts), teacher: { kind: 'zero-shot', name: 'CLIP zero-shot' } }, 1000);
  s = dispatch(s, { type: 'distill', ensemble }, 2000);
  return {
    generator: 'test',
    model: { id: 'tiny-clip', embeddingDim: D, preprocessing: { size: 224, crop: 'center', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], resample: 'bicubic', padToSquare: false } },
    prompts: { templates: ['a photo of {concept}'] },
    regions: { grid: 1, overlap: 0 },
    classes, classText, concepts, conceptText, stats,
    ensemble: s.state.ensemble!,
    ood, domain: null,
    teacher: { kind: 'zero-shot', name: 'CLIP zero-shot' },
    metrics: { splits: { distill: 30, heldOut: 10 }, heldOut: { fidelity: 0.9, accuracy: null, n: 10, perClass: [0, 1, 2].map(() => ({ fidelity: 0.9, accuracy: null, n: 3 })) } },
    provenance: provenanceToJson(s.history),
    checkImages: { images: { N: 2, R: 1, D, data: images.data.slice(0, 2 * D) }, ids: ['a', 'b'] },
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-ood-'));
  // λ: 95 % of the first 20 images pass under the class-prompt MCM score.
  threshold = passThreshold(mcmScores({ N, R: 1, D, data: images.data }, classText, 1, Array.from({ length: 20 }, (_, i) => i)));
  writeFileSync(f('mcm.json'), serializeStudentExport(buildStudentExport(input({ score: 'mcm', tau: 1, threshold, calibrationN: 20 }))));
  writeFileSync(f('student.json'), serializeStudentExport(buildStudentExport(input({ score: 'mcm-student', tau: 1, threshold: 0.5, calibrationN: 20 }))));
  writeFileSync(f('plain.json'), serializeStudentExport(buildStudentExport(input(null))));
  writeFileSync(f('E3.npy'), writeNpy(images.data, [N, 1, D]));
  writeFileSync(f('E2.npy'), writeNpy(images.data, [N, D]));
  writeFileSync(f('Ebad.npy'), writeNpy(new Float32Array(N * 4), [N, 4]));
  const raw = conceptActivations({ N, R: 1, D, data: images.data }, conceptText);
  writeFileSync(f('A.npy'), writeNpy(raw.data, [N, M]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rows = (out: string) => out.trim().split('\n').map((l) => l.split(','));

describe('concept-studio predict: OOD flag', () => {
  it('from embeddings, reports the MCM score and the flag (score < λ) per image, and the same predictions as from activations', async () => {
    const r = await run('predict', '--student', f('mcm.json'), '--embeddings', f('E3.npy'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const t = rows(r.out);
    expect(t[0]).toEqual(['image', 'prediction', 'p(ok)', 'p(rusty)', 'p(cracked)', 'ood score', 'unfamiliar']);
    expect(t).toHaveLength(N + 1);
    const want = mcmScores({ N, R: 1, D, data: images.data }, classText, 1);
    let flagged = 0;
    for (let i = 0; i < N; i++) {
      expect(Number(t[i + 1][5])).toBeCloseTo(want[i], 3);
      expect(t[i + 1][6]).toBe(want[i] < threshold ? 'yes' : 'no');
      if (want[i] < threshold) flagged++;
    }
    expect(flagged).toBeGreaterThan(0);
    // N×D embeddings are read as R = 1; predictions agree with the activations path.
    const r2 = await run('predict', '--student', f('mcm.json'), '--embeddings', f('E2.npy'));
    expect(r2.out).toBe(r.out);
    const ra = await run('predict', '--student', f('mcm.json'), '--activations', f('A.npy'));
    expect(ra.err).toMatch(/has an OOD block; give --embeddings/);
    const ta = rows(ra.out);
    expect(ta[0]).toHaveLength(5);
    for (let i = 1; i <= N; i++) expect(ta[i].slice(0, 5)).toEqual(t[i].slice(0, 5));
  });

  it("the 'mcm-student' score uses the student's prototypes", async () => {
    const r = await run('predict', '--student', f('student.json'), '--embeddings', f('E3.npy'));
    expect(r.code).toBe(0);
    const t = rows(r.out);
    const protos = studentPrototypes(input(null).ensemble.served, conceptText, stats);
    const want = mcmScores({ N, R: 1, D, data: images.data }, protos, 1);
    for (let i = 0; i < N; i++) expect(Number(t[i + 1][5])).toBeCloseTo(want[i], 3);
  });

  it('with --out prints the unfamiliar count; without an ood block there are no OOD columns', async () => {
    const r = await run('predict', '--student', f('mcm.json'), '--embeddings', f('E3.npy'), '--out', f('p.npy'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`unfamiliar: \\d+ of ${N} images \\(mcm score < threshold`));
    const p = await run('predict', '--student', f('plain.json'), '--embeddings', f('E3.npy'));
    expect(p.code).toBe(0);
    expect(rows(p.out)[0]).toEqual(['image', 'prediction', 'p(ok)', 'p(rusty)', 'p(cracked)']);
  });

  it('says what is wrong with the inputs', async () => {
    const both = await run('predict', '--student', f('mcm.json'), '--embeddings', f('E3.npy'), '--activations', f('A.npy'));
    expect(both.code).not.toBe(0);
    expect(both.err).toMatch(/exactly one of --activations and --embeddings/);
    const bad = await run('predict', '--student', f('mcm.json'), '--embeddings', f('Ebad.npy'));
    expect(bad.err).toMatch(/have 4 dimensions but mcm\.json's image encoder has 8/);
    const none = await run('predict', '--student', f('mcm.json'), '--embeddings', f('missing.npy'));
    expect(none.err).toMatch(/no such file/);
  });
});
