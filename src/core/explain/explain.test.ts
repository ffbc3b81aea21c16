import { describe, expect, it } from 'vitest';
import { mulberry32, randNormal } from '../math/rng.ts';
import { argmaxRows, logits, mat } from '../math/linalg.ts';
import type { LinearModel } from '../types.ts';
import { allContributions, contributions, row, topContributions, topTerms } from './contributions.ts';
import { explainClassPair, explainDecision, explainImagePair, topTwoClasses } from './pairwise.ts';
import {
  classPairSentence,
  contributionSentence,
  describeClassPair,
  describeImagePair,
  imagePairSentence,
} from './sentences.ts';

function randomCase(seed: number, N: number, M: number, C: number) {
  const rng = mulberry32(seed);
  const A = mat(N, M);
  for (let k = 0; k < A.data.length; k++) A.data[k] = randNormal(rng) * 2;
  const model: LinearModel = {
    C,
    M,
    W: Float32Array.from({ length: C * M }, () => randNormal(rng)),
    b: Float32Array.from({ length: C }, () => randNormal(rng) * 3),
  };
  return { A, model, Z: logits(A, model) };
}

describe('exact-sum identities', () => {
  const { A, model, Z } = randomCase(5, 40, 50, 6);

  it('contributions plus bias equal the logit', () => {
    for (let i = 0; i < A.rows; i++) {
      const all = allContributions(model, row(A, i));
      for (let c = 0; c < model.C; c++) {
        const k = all[c];
        const sum = k.values.reduce((s, v) => s + v, 0) + k.bias;
        expect(Math.abs(sum - Z.data[i * model.C + c])).toBeLessThan(1e-4);
        expect(Math.abs(k.logit - Z.data[i * model.C + c])).toBeLessThan(1e-4);
      }
    }
  });

  it('image-pair terms sum to z_c(a) − z_c(b)', () => {
    for (let i = 0; i + 1 < A.rows; i += 3) {
      for (let c = 0; c < model.C; c++) {
        const ex = explainImagePair(model, row(A, i), row(A, i + 1), c);
        const diff = Z.data[i * model.C + c] - Z.data[(i + 1) * model.C + c];
        expect(Math.abs(ex.terms.reduce((s, t) => s + t.value, 0) - diff)).toBeLessThan(1e-4);
        expect(Math.abs(ex.total - diff)).toBeLessThan(1e-4);
        expect(Math.abs(ex.za - Z.data[i * model.C + c])).toBeLessThan(1e-4);
      }
    }
  });

  it('class-pair terms plus the bias difference sum to z_c1 − z_c2', () => {
    for (let i = 0; i < A.rows; i++) {
      const ex = explainClassPair(model, row(A, i), 1, 4);
      const diff = Z.data[i * model.C + 1] - Z.data[i * model.C + 4];
      expect(Math.abs(ex.terms.reduce((s, t) => s + t.value, 0) + ex.biasDiff - diff)).toBeLessThan(1e-4);
      expect(Math.abs(ex.total - diff)).toBeLessThan(1e-4);
    }
  });

  it('explainDecision compares the predicted class with the runner-up', () => {
    const pred = argmaxRows(Z);
    for (let i = 0; i < A.rows; i++) {
      const ex = explainDecision(model, row(A, i));
      expect(ex.c1).toBe(pred[i]);
      expect(ex.total).toBeGreaterThanOrEqual(0);
      expect(ex.c2).not.toBe(ex.c1);
    }
  });
});

describe('ordering and selection', () => {
  it('sorts terms by magnitude, stable by index', () => {
    expect(topTerms([0.1, -3, 2, -2, 0], 3)).toEqual([
      { concept: 1, value: -3 },
      { concept: 2, value: 2 },
      { concept: 3, value: -2 },
    ]);
    expect(topTerms([0.1, -3, 2], undefined, 'positive').map((t) => t.concept)).toEqual([2, 0]);
    expect(topTerms([0.1, -3, 2], 5, 'negative').map((t) => t.concept)).toEqual([1]);
  });

  it('topContributions and pairwise terms are in |value| order', () => {
    const { A, model } = randomCase(9, 3, 20, 3);
    const t = topContributions(model, row(A, 0), 2, 20);
    for (let k = 1; k < t.length; k++) expect(Math.abs(t[k - 1].value)).toBeGreaterThanOrEqual(Math.abs(t[k].value));
    const ex = explainImagePair(model, row(A, 0), row(A, 1), 0);
    for (let k = 1; k < ex.terms.length; k++) expect(Math.abs(ex.terms[k - 1].value)).toBeGreaterThanOrEqual(Math.abs(ex.terms[k].value));
    expect(contributions(model, row(A, 0), 1).values[3]).toBe(model.W[1 * 20 + 3] * A.data[3]);
  });

  it('topTwoClasses handles ties and a leading class 0', () => {
    expect(topTwoClasses([3, 1, 2])).toEqual([0, 2]);
    expect(topTwoClasses([1, 3, 3])).toEqual([1, 2]);
    expect(topTwoClasses([5, 5])).toEqual([0, 1]);
  });

  it('rejects wrong shapes', () => {
    const { model } = randomCase(1, 1, 4, 2);
    expect(() => contributions(model, [1, 2], 0)).toThrow(/activations/);
    expect(() => explainClassPair(model, [1, 2, 3, 4], 0, 2)).toThrow(/class 2/);
  });
});

describe('sentences', () => {
  // Two concepts (rust, wheel), two classes (rusty, ok).
  const model: LinearModel = { C: 2, M: 2, W: new Float32Array([2, 0, -1, 0.5]), b: new Float32Array([0, 0]) };
  const concepts = ['rust', 'wheel'];
  const classes = ['rusty', 'ok'];

  it('image pair', () => {
    const ex = explainImagePair(model, [1.5, 0], [-0.5, 1], 0);
    expect(describeImagePair(ex, concepts, classes)).toEqual(['A shows more rust than B, and rust counts for rusty']);
    const ex2 = explainImagePair(model, [-0.5, 0], [1.5, 1], 1);
    expect(describeImagePair(ex2, concepts, classes, 5, { a: 'this image', b: 'that one' })).toEqual([
      'this image shows less rust than that one, and rust counts against ok',
      'this image shows less wheel than that one, and wheel counts for ok',
    ]);
    expect(imagePairSentence({ weight: 1, a: 1, b: 0 }, 'rust', 'rusty', {}, true)).toBe('A shows more rust than B');
    expect(imagePairSentence({ weight: 0, a: 0, b: 0 }, 'rust', 'rusty')).toBe('A and B show as much rust, but rust does not count for rusty');
  });

  it('class pair', () => {
    const ex = explainClassPair(model, [1, 0.4], 0, 1); // rust: (2+1)·1 = 3; wheel: (0−0.5)·0.4 = −0.2
    expect(describeClassPair(ex, concepts, classes)).toEqual([
      'rust pushes towards rusty rather than ok',
      'wheel pushes towards ok rather than rusty',
    ]);
    expect(classPairSentence({ value: 0.6, activation: -0.2 }, 'wheel', 'rusty', 'ok')).toBe('little wheel pushes towards rusty rather than ok');
    expect(classPairSentence({ value: 0, activation: 1 }, 'wheel', 'rusty', 'ok')).toBe('wheel does not separate rusty from ok');
  });

  it('single contribution, and unnamed indices fall back to numbers', () => {
    expect(contributionSentence(-0.3, 1, 'rust', 'ok')).toBe('rust pushes away from ok');
    expect(contributionSentence(0.3, -1, 'rust', 'ok')).toBe('little rust pushes towards ok');
    const ex = explainClassPair(model, [1, 0], 0, 1);
    expect(describeClassPair(ex, [], [])).toEqual(['concept 0 pushes towards class 0 rather than class 1']);
  });
});
