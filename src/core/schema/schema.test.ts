import { describe, expect, it } from 'vitest';
import { randomModel, unitRows } from '../../../tests/support/random.ts';
import fc from 'fast-check';
import type { Ensemble, LinearModel } from '../types.ts';
import { mulberry32, randNormal } from '../math/rng.ts';
import { createSession, dispatch } from '../project/session.ts';
import { emptyProject } from '../project/types.ts';
import { provenanceToJson, buildStudentExport, serializeStudentExport, decodeStudentExport, type StudentExportInput } from './build.ts';
import { parseStudentExport } from './parse.ts';
import { decodeF32, encodeF32, shortestFloat32, stringifyCompact } from './numbers.ts';
import { mcmScore, computeCheckBlock } from './checkBlock.ts';
import { CURRENT_VERSION, type StudentExportV1 } from './exportV1.ts';
import { oldestReadableVersion, type MigrationTable } from './migrate.ts';

const C = 3;
const M = 4;
const D = 8;
const R = 5; // grid 4 = full image + 2×2

const lm = (seed: number) => randomModel(C, M, seed);

function fixtureInput(): StudentExportInput {
  const ensemble: Ensemble = { served: lm(1), members: [lm(2), lm(3)], lo: lm(4).W, hi: lm(5).W };
  const classes = [{ name: 'rusty' }, { name: 'clean', prompt: 'a photo of a clean car' }, { name: 'muddy' }];
  const concepts = [{ name: 'rust' }, { name: 'dim light', category: 'lighting' }, { name: 'water' }, { name: 'mud' }];
  let s = createSession({ ...emptyProject(classes, concepts), teacher: { kind: 'zero-shot', name: 'CLIP zero-shot' } }, 1000);
  s = dispatch(s, { type: 'distill', ensemble }, 2000);
  s = dispatch(s, { type: 'quickEdit', class: 0, concept: 1, value: 0.25 }, 3000);
  return {
    generator: 'test',
    model: { id: 'tiny-clip', embeddingDim: D, dtype: 'fp32', preprocessing: { size: 224, crop: 'center', mean: [0.48, 0.46, 0.41], std: [0.27, 0.26, 0.28], resample: 'bicubic', padToSquare: false } },
    prompts: { templates: ['a photo of {concept}', 'a close-up photo of {concept}'] },
    regions: { grid: 4, overlap: 0.25 },
    classes,
    classText: unitRows(C, D, 6),
    concepts,
    conceptText: unitRows(M, D, 7),
    stats: { mu: Float32Array.from([0.2, 0.21, 0.19, 0.22]), sigma: Float32Array.from([0.02, 0.03, 0.01, 0.025]) },
    ensemble: s.state.ensemble!,
    ood: { score: 'mcm-student', tau: 1, threshold: 0.4, calibrationN: 50 },
    domain: {
      mode: 'source',
      temperature: 0.01,
      domains: [0, 1].map((d) => ({ prompt: `domain ${d}`, textEmbedding: unitRows(1, D, 10 + d).data, mu: Float32Array.from([0.2, 0.2, 0.2, 0.2]), sigma: Float32Array.from([0.02, 0.02, 0.02, 0.02]) })),
    },
    teacher: { kind: 'zero-shot', name: 'CLIP zero-shot' },
    metrics: { splits: { distill: 80, heldOut: 20 }, heldOut: { fidelity: 0.9, accuracy: null, n: 20, perClass: [{ fidelity: 1, accuracy: null, n: 7 }, { fidelity: 0.8, accuracy: null, n: 7 }, { fidelity: 0.9, accuracy: null, n: 6 }] } },
    provenance: provenanceToJson(s.history),
    checkImages: { images: { N: 2, R, D, data: unitRows(2 * R, D, 9).data }, ids: ['img-a', 'img-b'] },
  };
}

const fixture = () => buildStudentExport(fixtureInput());
const text = (doc: unknown) => JSON.stringify(doc);
/** Parse a mutated copy of the fixture and return the error. */
function errorAfter(mutate: (d: any) => void): string {
  const d = structuredClone(fixture()) as any;
  mutate(d);
  const r = parseStudentExport(text(d));
  return r.ok ? 'ok' : r.error;
}

describe('number encoding', () => {
  it('shortest float32 decimals read back bit-exact', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const f = Math.fround(x);
        expect(Math.fround(JSON.parse(JSON.stringify(shortestFloat32(f))))).toBe(f === 0 ? 0 : f);
      }),
    );
    expect(shortestFloat32(0.1)).toBe(0.1);
    expect(shortestFloat32(Math.fround(0.3))).toBe(0.3); // typed values stay as typed
    expect(shortestFloat32(Math.fround(-1.5e-5))).toBe(-1.5e-5);
    expect(JSON.stringify(encodeF32(Float32Array.from([0.1, -2.5, 1e-7])))).toBe('[0.1,-2.5,1e-7]');
    const a = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i) * 1e3);
    expect(decodeF32(JSON.parse(JSON.stringify(encodeF32(a))))).toEqual(a);
    expect(() => shortestFloat32(NaN)).toThrow('finite');
  });

  it('compact JSON parses back to the same value', () => {
    const v = { a: [1, 2.5], b: { c: 'x"y', d: [] as number[], e: [{ f: null }] }, g: undefined };
    expect(JSON.parse(stringifyCompact(v))).toEqual(JSON.parse(JSON.stringify(v)));
  });
});

describe('student export round trip', () => {
  it('build → serialise → parse gives the same document, and decodes to the same weights', () => {
    const input = fixtureInput();
    const doc = buildStudentExport(input);
    const r = parseStudentExport(serializeStudentExport(doc));
    if (!r.ok) throw new Error(r.error);
    expect(r.value).toEqual(doc);
    const d = decodeStudentExport(r.value);
    expect(d.ensemble.served.W).toEqual(input.ensemble.served.W);
    expect(d.ensemble.members[1].b).toEqual(input.ensemble.members[1].b);
    expect(d.conceptText!.data).toEqual(input.conceptText!.data);
    expect(r.value.check.images).toHaveLength(2);
    expect(r.value.check.images[0].oodScore).not.toBeNull();
    expect(r.value.provenance.nodes.map((n) => n.action)).toEqual(['init', 'distill', 'quickEdit']);
  });

  it('refuses to write NaN, naming where it is', () => {
    const input = fixtureInput();
    input.ensemble = { ...input.ensemble, served: { ...input.ensemble.served, W: input.ensemble.served.W.map((v, i) => (i === 5 ? NaN : v)) } };
    expect(() => buildStudentExport(input)).toThrow('cannot export student.W[5] = NaN');
  });
});

describe('student export errors: one specific message with its path', () => {
  it.each<[string, (d: any) => void, string]>([
    ['short W', (d) => d.student.W.pop(), 'student.W: expected 3×4 = 12 numbers (classes × concepts), got 11'],
    ['negative sigma', (d) => (d.concepts[3].sigma = -1), 'concepts[3].sigma: must be a positive finite number'],
    ['null (was NaN)', (d) => (d.student.W[5] = null), 'student.W[5]: expected a finite number, got null'],
    ['string NaN', (d) => (d.student.b[0] = 'NaN'), 'student.b[0]: expected a finite number, got "NaN"'],
    ['sigma as string', (d) => (d.concepts[1].sigma = 'Infinity'), 'concepts[1].sigma: expected a finite number, got "Infinity"'],
    ['future version', (d) => (d.version = 7), 'unknown version 7: this studio reads versions 1–1'],
    ['wrong format', (d) => (d.format = 'something/else'), 'format: this is not a Concept Tuning Studio student export'],
    ['missing field', (d) => delete d.model.id, 'model.id: missing (expected string)'],
    ['bad enum', (d) => (d.ood.score = 'energy'), 'ood.score: expected "mcm" or "mcm-student", got "energy"'],
    ['bad grid', (d) => (d.regions.grid = 2), 'regions.grid: 2 is not one of the allowed values'],
    ['wrong D', (d) => d.concepts[2].textEmbedding.push(0), 'concepts[2].textEmbedding: expected 8 numbers (model.embeddingDim), got 9'],
    ['member count', (d) => d.student.members.b.pop(), 'student.members: 2 weight matrices but 1 bias vectors'],
    ['member size', (d) => d.student.members.W[1].push(1), 'student.members.W[1]: expected 3×4 = 12 numbers'],
    ['mcm needs class text', (d) => { d.ood.score = 'mcm'; delete d.classes[1].textEmbedding; }, "classes[1].textEmbedding: the 'mcm' OOD score needs"],
    ['domain stats', (d) => d.domain.domains[1].mu.pop(), 'domain.domains[1].mu: expected 4 numbers (concepts), got 3'],
    ['per-class metrics', (d) => d.metrics.heldOut.perClass.pop(), 'metrics.heldOut.perClass: expected 3 entries'],
    ['orphan node', (d) => (d.provenance.nodes[2].parentId = 'zz'), 'provenance.nodes[2].parentId: no node has id "zz"'],
    ['two roots', (d) => (d.provenance.nodes[1].parentId = null), 'provenance.nodes: expected exactly one root'],
    ['unknown head', (d) => (d.provenance.head = 'nope'), 'provenance.head: no node has id "nope"'],
    ['check size', (d) => d.check.images[1].embeddings.pop(), 'check.images[1].embeddings: expected 5×8 = 40 numbers'],
    ['check tampered', (d) => (d.check.images[0].logits[2] += 0.5), 'check.images[0].logits[2]: the file says'],
    ['weights tampered', (d) => (d.student.b[1] += 1), 'check.images[0].logits[1]: the file says'],
  ])('%s', (_, mutate, message) => {
    expect(errorAfter(mutate)).toContain(message);
  });

  it('tells a truncated file from a malformed one', () => {
    const t = serializeStudentExport(fixture());
    const cut = parseStudentExport(t.slice(0, Math.floor(t.length / 2)));
    expect(cut.ok ? '' : cut.error).toMatch(/^the file is truncated/);
    const bad = parseStudentExport('{"format": nope}');
    expect(bad.ok ? '' : bad.error).toMatch(/^the file is not valid JSON/);
    expect(parseStudentExport('  ')).toEqual({ ok: false, error: 'the file is empty' });
    expect(parseStudentExport('[1]')).toEqual({ ok: false, error: 'expected a JSON object at the top level, got an array of 1' });
  });
});

/** The fixture as an activation-only student: no embeddings anywhere, check from raw activations. */
function activationOnlyInput(): StudentExportInput {
  const x = fixtureInput();
  const rng = mulberry32(21);
  return {
    ...x,
    model: { ...x.model, embeddingDim: null },
    regions: { grid: 1, overlap: 0 },
    classText: null,
    conceptText: null,
    ood: null,
    domain: null,
    training: { lambda: 1e-4, members: 2, seed: 7, heldOutFraction: 0.2 },
    checkImages: null,
    checkActivations: { raw: { rows: 3, cols: M, data: Float32Array.from({ length: 3 * M }, () => 0.2 + 0.05 * randNormal(rng)) }, ids: ['a', 'b', 'c'] },
  };
}
const activationOnly = () => buildStudentExport(activationOnlyInput());
function activationOnlyErrorAfter(mutate: (d: any) => void): string {
  const d = structuredClone(activationOnly()) as any;
  mutate(d);
  const r = parseStudentExport(text(d));
  return r.ok ? 'ok' : r.error;
}

describe('activation-only students (model.embeddingDim null)', () => {
  it('build → serialise → parse round-trips, and the check block starts from the raw activations', () => {
    const input = activationOnlyInput();
    const doc = buildStudentExport(input);
    const r = parseStudentExport(serializeStudentExport(doc));
    if (!r.ok) throw new Error(r.error);
    expect(r.value).toEqual(doc);
    expect(doc.model.embeddingDim).toBeNull();
    expect(doc.concepts.every((c) => c.textEmbedding === undefined)).toBe(true);
    expect(doc.training).toEqual({ lambda: 1e-4, members: 2, seed: 7, heldOutFraction: 0.2 });
    const d = decodeStudentExport(r.value);
    expect(d.conceptText).toBeNull();
    expect(d.D).toBeNull();
    expect(d.classText).toBeNull();
    expect(d.training).toEqual(input.training);
    expect(d.ensemble.served.W).toEqual(input.ensemble.served.W);
    // The check: â = (a − μ)/σ, z = W â + b, by hand for image 1.
    const im = doc.check.images[1];
    expect(im.id).toBe('b');
    expect(im.embeddings).toBeUndefined();
    expect(im.oodScore).toBeNull();
    expect(decodeF32(im.activations)).toEqual(input.checkActivations!.raw.data.subarray(M, 2 * M));
    const mu = input.stats.mu, sigma = input.stats.sigma, W = input.ensemble.served.W, b = input.ensemble.served.b;
    const ahat = im.activations.map((a, j) => (a - mu[j]) / sigma[j]);
    const z = [0, 1, 2].map((c) => ahat.reduce((acc, v, j) => acc + W[c * M + j] * v, b[c]));
    ahat.forEach((v, j) => expect(im.standardized[j]).toBeCloseTo(v, 4));
    z.forEach((v, c) => expect(im.logits[c]).toBeCloseTo(v, 4));
    expect(im.prediction).toBe(z.indexOf(Math.max(...z)));
  });

  it('a tampered check block or weight is rejected with its path', () => {
    expect(activationOnlyErrorAfter((d) => (d.check.images[2].logits[1] += 0.5))).toContain('check.images[2].logits[1]: the file says');
    expect(activationOnlyErrorAfter((d) => (d.check.images[0].standardized[3] *= 2))).toContain('check.images[0].standardized[3]: the file says');
    expect(activationOnlyErrorAfter((d) => (d.student.W[0] += 1))).toMatch(/^check\.images\[\d\]\.logits\[0\]: the file says/);
    expect(activationOnlyErrorAfter((d) => (d.check.images[0].prediction = (d.check.images[0].prediction + 1) % 3))).toContain('check.images[0].prediction: the file says class');
  });

  it.each<[string, (d: any) => void, string]>([
    ['concept text without embeddingDim', (d) => (d.concepts[1].textEmbedding = [1, 0, 0]), 'concepts[1].textEmbedding: not allowed in an activation-only file (model.embeddingDim is null); either set model.embeddingDim to 3'],
    ['class text', (d) => (d.classes[0].textEmbedding = [1, 0]), 'classes[0].textEmbedding: not allowed in an activation-only file'],
    ['ood block', (d) => (d.ood = { score: 'mcm-student', tau: 1, threshold: 0.5, calibrationN: 10 }), 'ood: not allowed in an activation-only file (model.embeddingDim is null): the MCM score needs image and text embeddings'],
    ['domain on', (d) => (d.domain = { mode: 'source', temperature: 0.01, domains: [{ prompt: 'x', textEmbedding: [1], mu: [0, 0, 0, 0], sigma: [1, 1, 1, 1] }] }), 'domain: not allowed in an activation-only file'],
    ['check embeddings', (d) => (d.check.images[1].embeddings = [1, 0]), 'check.images[1].embeddings: not allowed in an activation-only file'],
    ['embeddingDim zero', (d) => (d.model.embeddingDim = 0), 'model.embeddingDim: must be >0, got 0'],
    ['check activations short', (d) => d.check.images[0].activations.pop(), 'check.images[0].activations: expected 4 numbers (concepts), got 3'],
  ])('mixing: %s', (_, mutate, message) => {
    expect(activationOnlyErrorAfter(mutate)).toContain(message);
  });

  it("domain mode 'off' with no domains is allowed; so is a file without training", () => {
    expect(activationOnlyErrorAfter((d) => (d.domain = { mode: 'off', temperature: 0.01, domains: [] }))).toBe('ok');
    expect(activationOnlyErrorAfter((d) => delete d.training)).toBe('ok');
    expect(activationOnlyErrorAfter((d) => (d.training = null))).toBe('ok');
    expect(activationOnlyErrorAfter((d) => delete d.model.preprocessing)).toBe('ok');
  });

  it('with embeddingDim set, every concept needs a text embedding and every check image its embeddings', () => {
    expect(errorAfter((d) => delete d.concepts[2].textEmbedding)).toBe(
      'concepts[2].textEmbedding: missing; model.embeddingDim is 8, so every concept needs a text embedding of 8 numbers (only an activation-only file, with model.embeddingDim null, has none)',
    );
    expect(errorAfter((d) => delete d.model.preprocessing)).toContain('model.preprocessing: missing; a file with image embeddings (model.embeddingDim 8)');
    expect(errorAfter((d) => delete d.check.images[1].embeddings)).toContain('check.images[1].embeddings: missing; model.embeddingDim is 8');
    // An embedding file whose embeddingDim was nulled is pointed at the first text embedding.
    expect(errorAfter((d) => (d.model.embeddingDim = null))).toContain('concepts[0].textEmbedding: not allowed in an activation-only file (model.embeddingDim is null); either set model.embeddingDim to 8');
  });

  it('build refuses contradictory inputs', () => {
    const x = activationOnlyInput();
    expect(() => buildStudentExport({ ...x, conceptText: fixtureInput().conceptText })).toThrow('model.embeddingDim is null (activation-only) but concept text embeddings were given');
    expect(() => buildStudentExport({ ...x, model: { ...x.model, embeddingDim: 8 } })).toThrow('model.embeddingDim is 8 but there are no concept text embeddings');
    expect(() => buildStudentExport({ ...x, checkImages: fixtureInput().checkImages })).toThrow('give check images or check activations, not both');
    expect(() => buildStudentExport({ ...x, checkActivations: null, checkImages: fixtureInput().checkImages })).toThrow('give checkActivations instead of checkImages');
    expect(() => buildStudentExport({ ...fixtureInput(), checkImages: null, checkActivations: x.checkActivations })).toThrow('give checkImages instead of checkActivations');
    expect(() => buildStudentExport({ ...x, checkActivations: { raw: { rows: 1, cols: 3, data: new Float32Array(3) } } })).toThrow('check activations are 1×3, the export needs K×4');
  });

  it('computeCheckBlock takes exactly one of images or activations', () => {
    const x = activationOnlyInput();
    const base = { student: x.ensemble.served, stats: x.stats };
    expect(() => computeCheckBlock(base)).toThrow('give exactly one');
    expect(() => computeCheckBlock({ ...base, activations: x.checkActivations!.raw, ood: { score: 'mcm-student', tau: 1 } })).toThrow('an OOD score needs image embeddings');
    expect(() => computeCheckBlock({ ...base, images: fixtureInput().checkImages!.images })).toThrow('needs the concept text embeddings');
  });
});

describe('training block', () => {
  it('round-trips on an embedding export too', () => {
    const doc = buildStudentExport({ ...fixtureInput(), training: { lambda: 0, members: 2, seed: 0, heldOutFraction: 0.5 } });
    const r = parseStudentExport(serializeStudentExport(doc));
    if (!r.ok) throw new Error(r.error);
    expect(r.value.training).toEqual({ lambda: 0, members: 2, seed: 0, heldOutFraction: 0.5 });
    expect(decodeStudentExport(r.value).training).toEqual(r.value.training);
    expect(decodeStudentExport(fixture()).training).toBeNull();
  });

  it.each<[string, (t: any) => void, string]>([
    ['negative lambda', (t) => (t.lambda = -1), 'training.lambda: the L1 strength must be 0 or more, got -1'],
    ['lambda as string', (t) => (t.lambda = '1e-4'), 'training.lambda: expected a finite number, got "1e-4"'],
    ['zero members', (t) => (t.members = 0), 'training.members: must be at least 1, got 0'],
    ['fractional members', (t) => (t.members = 2.5), 'training.members: expected a whole number, got 2.5'],
    ['members disagree', (t) => (t.members = 20), 'training.members: says 20 members but student.members holds 2'],
    ['fractional seed', (t) => (t.seed = 0.5), 'training.seed: expected a whole number, got 0.5'],
    ['missing seed', (t) => delete t.seed, 'training.seed: missing (expected number)'],
    ['held-out 0', (t) => (t.heldOutFraction = 0), 'training.heldOutFraction: must be strictly between 0 and 1, got 0'],
    ['held-out 1', (t) => (t.heldOutFraction = 1), 'training.heldOutFraction: must be strictly between 0 and 1, got 1'],
  ])('%s', (_, mutate, message) => {
    expect(activationOnlyErrorAfter((d) => mutate(d.training))).toBe(message);
  });

  it('must be an object or null', () => {
    expect(activationOnlyErrorAfter((d) => (d.training = 3))).toBe('training: expected an object, got 3');
  });
});

describe('migrations', () => {
  // A fake version 0 that kept the served weights at the top level as `weights: {W, b}`.
  const fakeV0 = () => {
    const d = structuredClone(fixture()) as any;
    d.version = 0;
    d.weights = { W: d.student.W, b: d.student.b };
    delete d.student.W;
    delete d.student.b;
    return d;
  };
  const table: MigrationTable = {
    0: (d) => {
      const w = d.weights as { W: number[]; b: number[] };
      const { weights: _, ...rest } = d;
      return { ...rest, version: 1, student: { ...(d.student as object), W: w.W, b: w.b } };
    },
  };

  it('upgrades a v0 file through the chain', () => {
    expect(oldestReadableVersion(table, CURRENT_VERSION)).toBe(0);
    const r = parseStudentExport(text(fakeV0()), { migrations: table });
    if (!r.ok) throw new Error(r.error);
    expect(r.value).toEqual(fixture());
  });

  it('without the step, v0 is unknown; a broken step is reported', () => {
    const r = parseStudentExport(text(fakeV0()));
    expect(r.ok ? '' : r.error).toBe('unknown version 0: this studio reads versions 1–1');
    const broken: MigrationTable = { 0: (d) => ({ ...d, version: 0 }) };
    const b = parseStudentExport(text(fakeV0()), { migrations: broken });
    expect(b.ok ? '' : b.error).toBe('migration from version 0 did not produce version 1');
  });
});

describe('check block maths', () => {
  it('MCM matches the golden values of METHODS §8', () => {
    const x = Float32Array.from([1, 0.2, 0]);
    const n = Math.hypot(1, 0.2);
    const xn = x.map((v) => v / n);
    const basis = { rows: 3, cols: 3, data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]) };
    expect(mcmScore(xn, basis, 1)).toBeCloseTo(0.546013, 5);
    expect(mcmScore(xn, basis, 0.01)).toBeCloseTo(1, 6);
  });

  it('computes activations, standardisation, logits and prediction by hand', () => {
    // D=2, two regions; concepts along e1 and e2; region 1 sees more of e2.
    const s = Math.SQRT1_2;
    const images = { N: 1, R: 2, D: 2, data: Float32Array.from([1, 0, s, s]) };
    const student: LinearModel = { W: Float32Array.from([1, 0, 0, 2]), b: Float32Array.from([0, -1]), C: 2, M: 2 };
    const [img] = computeCheckBlock({
      student,
      conceptText: { rows: 2, cols: 2, data: Float32Array.from([1, 0, 0, 1]) },
      stats: { mu: Float32Array.from([0.5, 0.5]), sigma: Float32Array.from([0.25, 0.5]) },
      images,
    });
    expect(img.activations).toEqual([1, shortestFloat32(s)]); // max over regions, ≥ 0
    expect(img.standardized[0]).toBeCloseTo(2); // (1 − 0.5)/0.25
    expect(img.standardized[1]).toBeCloseTo((s - 0.5) / 0.5, 5);
    expect(img.logits[0]).toBeCloseTo(2);
    expect(img.logits[1]).toBeCloseTo(2 * ((s - 0.5) / 0.5) - 1, 5);
    expect(img.prediction).toBe(0);
    expect(img.oodScore).toBeNull();
  });
});

// Type-level: the fixture is a StudentExportV1.
const _typed: (d: StudentExportV1) => void = () => {};
_typed(buildStudentExport(fixtureInput()));

describe('truncation at every cut', () => {
  it('any proper prefix of a file is reported as truncated', () => {
    const t = serializeStudentExport(fixture()).trimEnd();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: t.length - 1 }), (n) => {
        const r = parseStudentExport(t.slice(0, n));
        expect(r.ok ? '' : r.error).toMatch(/^the file is truncated/);
      }),
      { numRuns: 200 },
    );
  });
});
