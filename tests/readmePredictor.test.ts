/**
 * The README's reference predictor is run here, as written, against real exports: the code block
 * right after the `<!-- reference-predictor -->` marker is extracted, evaluated, and must agree
 * with the check block the studio computed. If README and code drift apart, this fails.
 */
import { describe, expect, it } from 'vitest';
import type { Ensemble, LinearModel, Mat } from '../src/core/types.ts';
import { mulberry32, randNormal } from '../src/core/math/rng.ts';
import { buildStudentExport, serializeStudentExport, type StudentExportInput } from '../src/core/schema/build.ts';
import { parseStudentExport } from '../src/core/schema/parse.ts';
import { regionCount, type StudentExportV1 } from '../src/core/schema/exportV1.ts';
import { readmePredictor, readmePredictorSource } from '../tools/fixtures/readmePredictor.ts';

const source = readmePredictorSource();
const reference = readmePredictor();

const C = 4;
const M = 6;

function randomMat(rows: number, cols: number, rng: () => number, unit = true): Mat {
  const data = Float32Array.from({ length: rows * cols }, () => randNormal(rng));
  if (unit) {
    for (let r = 0; r < rows; r++) {
      const n = Math.hypot(...data.subarray(r * cols, (r + 1) * cols));
      for (let d = 0; d < cols; d++) data[r * cols + d] /= n;
    }
  }
  return { rows, cols, data };
}

function ensemble(rng: () => number): Ensemble {
  const lm = (): LinearModel => ({ W: randomMat(C, M, rng, false).data, b: randomMat(1, C, rng, false).data, C, M });
  return { served: lm(), members: [lm(), lm(), lm()], lo: new Float32Array(C * M), hi: new Float32Array(C * M) };
}

/** A realistic-shaped export: grid 4 (R = 5) embeddings, or activation-only (embeddingDim null). */
function exportInput(activationOnly: boolean): StudentExportInput {
  const rng = mulberry32(activationOnly ? 11 : 12);
  const D = 16;
  const R = regionCount(4);
  const images = 6;
  // Concepts near some image regions, so activations are positive and spread (and some clamp to 0).
  const conceptText = randomMat(M, D, rng);
  const common = {
    generator: 'readme predictor test',
    prompts: { templates: ['a photo of {concept}'] },
    classes: ['ok', 'scratch', 'dent', 'rust'].map((name) => ({ name })),
    concepts: ['edge', 'line', 'bump', 'orange', 'shine', 'grain'].map((name) => ({ name })),
    stats: { mu: Float32Array.from({ length: M }, () => 0.1 + 0.05 * rng()), sigma: Float32Array.from({ length: M }, () => 0.05 + 0.1 * rng()) },
    ensemble: ensemble(rng),
    teacher: { kind: 'labels' as const, name: 'ground truth' },
    metrics: { splits: { distill: 40, heldOut: 10 }, heldOut: null },
    provenance: { head: 'n0', nodes: [{ id: 'n0', parentId: null, time: 0, action: 'init', params: null, label: 'New project' }] },
    training: { lambda: 1e-4, members: 3, seed: 5, heldOutFraction: 0.2 },
  };
  if (activationOnly) {
    const raw = Float32Array.from({ length: images * M }, () => Math.max(0, 0.15 + 0.1 * randNormal(rng)));
    return {
      ...common,
      model: { id: 'precomputed-activations', embeddingDim: null },
      regions: { grid: 1, overlap: 0 },
      conceptText: null,
      checkActivations: { raw: { rows: images, cols: M, data: raw }, ids: ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'] },
    };
  }
  const x = randomMat(images * R, D, rng);
  for (let i = 0; i < images * R; i++) {
    // Pull each region toward one concept so cosines are not all near 0.
    const j = i % M;
    for (let d = 0; d < D; d++) x.data[i * D + d] += 0.8 * conceptText.data[j * D + d];
  }
  return {
    ...common,
    model: { id: 'test-clip', embeddingDim: D, preprocessing: { size: 224, crop: 'center', mean: [0.48, 0.46, 0.41], std: [0.27, 0.26, 0.28], resample: 'bicubic', padToSquare: false } },
    regions: { grid: 4, overlap: 0.25 },
    conceptText,
    ood: { score: 'mcm-student', tau: 1, threshold: 0.5, calibrationN: 10 },
    checkImages: { images: { N: images, R, D, data: x.data } },
  };
}

/** Build, write and read back, as someone receiving the file would. */
function exported(activationOnly: boolean): StudentExportV1 {
  const r = parseStudentExport(serializeStudentExport(buildStudentExport(exportInput(activationOnly))));
  if (!r.ok) throw new Error(r.error);
  return JSON.parse(JSON.stringify(r.value));
}

const closeTo = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, k) => expect(Math.abs(g - want[k])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[k]))));
};

describe('README reference predictor', () => {
  it('is short, dependency-free JavaScript', () => {
    expect(source.split('\n').length).toBeLessThanOrEqual(40);
    expect(source).not.toMatch(/\b(import|require)\b/);
  });

  it.each([
    ['with region embeddings (grid 4)', false],
    ['activation-only', true],
  ])('matches the check block of an export %s', (_, activationOnly) => {
    const doc = exported(activationOnly as boolean);
    expect(doc.check.images.length).toBe(6);
    for (const im of doc.check.images) {
      const out = reference.predict(doc, activationOnly ? im.activations : im.embeddings!);
      expect(out.prediction).toBe(im.prediction);
      closeTo(out.logits, im.logits);
      closeTo(out.standardized, im.standardized);
      closeTo(out.activations, im.activations);
    }
    // The data exercise the interesting paths: several predicted classes, and in the embedding
    // export activations from regions other than the full image.
    expect(new Set(doc.check.images.map((im) => im.prediction)).size).toBeGreaterThan(1);
    expect(reference.check(doc)).toEqual({ agree: true, checked: 6, failures: [] });
  });

  it('reports a check block that does not match', () => {
    const doc = exported(false);
    doc.check.images[2].logits[1] += 0.5;
    const r = reference.check(doc);
    expect(r.agree).toBe(false);
    expect(r.failures.map((f) => f.image)).toEqual([2]);
    const a = exported(true);
    a.check.images[4].prediction = (a.check.images[4].prediction + 1) % C;
    expect(reference.check(a).failures.map((f) => f.image)).toEqual(['r4']);
  });

  it('takes the max over regions, not the full image alone', () => {
    const doc = exported(false);
    const D = doc.model.embeddingDim!;
    const im = doc.check.images[0];
    const fullOnly = reference.predict({ ...doc }, im.embeddings!.slice(0, D));
    const all = reference.predict(doc, im.embeddings!);
    expect(all.activations.some((v, j) => v > fullOnly.activations[j] + 1e-6)).toBe(true);
  });
});
