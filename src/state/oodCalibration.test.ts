/**
 * METHODS §8: domain calibration changes concept standardisation only (μ(x), σ(x) per image; the
 * student's weights stay), so the student-prototype OOD score must live in the same calibrated
 * space: p_c(x) = normalise(Σ_j (w_cj / σ_j(x)) t_j). Expected values are computed here by hand
 * (plain loops and a worked example), not with the studio's functions.
 */
import { describe, expect, it } from 'vitest';
import { calibratedStudentScores, joinDomains } from '../core/calibration/index.ts';
import { mcmScores, studentPrototypes } from '../core/ood/index.ts';
import { computeCheckBlock } from '../core/schema/checkBlock.ts';
import { mulberry32 } from '../core/math/rng.ts';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { createStudioStore } from './store.ts';
import { oodScores } from './ood.ts';
import type { DomainSettings } from '../core/project/index.ts';
import type { Dataset } from './types.ts';

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);

/** S(x) by the definition, in plain numbers: π from the prompts, σ(x), prototypes, cosine, softmax. */
function byHand(x: number[], W: number[][], T: number[][], prompts: number[][], sigmas: number[][], temperature: number, tau: number): number {
  const xu = unit(x);
  const cd = prompts.map((t) => dot(xu, unit(t)) / temperature);
  const mx = Math.max(...cd);
  const e = cd.map((v) => Math.exp(v - mx));
  const pi = e.map((v) => v / e.reduce((s, w) => s + w, 0));
  const sigma = T.map((_, j) => pi.reduce((s, p, d) => s + p * sigmas[d][j], 0));
  const cos = W.map((w) => {
    const p = new Array(x.length).fill(0);
    w.forEach((wj, j) => unit(T[j]).forEach((t, d) => (p[d] += (wj / sigma[j]) * t)));
    return dot(xu, unit(p));
  });
  const z = cos.map((c) => Math.exp(c / tau));
  return Math.max(...z) / z.reduce((s, v) => s + v, 0);
}

describe('the student-prototype OOD score under domain calibration', () => {
  it('matches a worked example: σ(x) = 0.25·[1, 1] + 0.75·[0.5, 2] = [0.625, 1.75]', () => {
    // x = (0.6, 0.8, 0); t1 = e1, t2 = e2; W = [[1, 1], [1, −1]]; π = (0.25, 0.75).
    // p_0 ∝ (1.6, 0.5714), p_1 ∝ (1.6, −0.5714): cos 0.834114, 0.295976; S = 1/(1 + e^−0.538138) = 0.631379.
    const s = calibratedStudentScores(
      { N: 1, R: 1, D: 3, data: Float32Array.from([0.6, 0.8, 0]) },
      { C: 2, M: 2, W: Float32Array.from([1, 1, 1, -1]), b: new Float32Array(2) },
      { rows: 2, cols: 3, data: Float32Array.from([1, 0, 0, 0, 1, 0]) },
      { rows: 1, cols: 2, data: Float32Array.from([0.25, 0.75]) },
      joinDomains([{ mu: [0, 0], sigma: [1, 1] }, { mu: [0, 0], sigma: [0.5, 2] }]),
      1,
    );
    expect(s[0]).toBeCloseTo(0.631379, 6);
    // Uncalibrated (σ = 1, 1) the same image scores 0.756092: calibration moves the score.
    const plain = mcmScores({ N: 1, R: 1, D: 3, data: Float32Array.from([0.6, 0.8, 0]) },
      studentPrototypes({ C: 2, M: 2, W: Float32Array.from([1, 1, 1, -1]), b: new Float32Array(2) }, { rows: 2, cols: 3, data: Float32Array.from([1, 0, 0, 0, 1, 0]) }, { mu: new Float32Array(2), sigma: Float32Array.from([1, 1]) }));
    expect(plain[0]).toBeCloseTo(0.756092, 6);
  });

  it('one domain with the plain statistics gives exactly the uncalibrated score', () => {
    const r = mulberry32(4);
    const N = 20, D = 6, M = 5, C = 3;
    const images = { N, R: 1, D, data: Float32Array.from({ length: N * D }, () => r() - 0.5) };
    const student = { C, M, W: Float32Array.from({ length: C * M }, () => (r() < 0.3 ? 0 : r() - 0.5)), b: new Float32Array(C) };
    const text = { rows: M, cols: D, data: Float32Array.from({ length: M * D }, () => r() - 0.5) };
    const stats = { mu: Float32Array.from({ length: M }, () => r()), sigma: Float32Array.from({ length: M }, () => 0.2 + r()) };
    const plain = mcmScores(images, studentPrototypes(student, text, stats), 1);
    const cal = calibratedStudentScores(images, student, text, { rows: N, cols: 1, data: new Float32Array(N).fill(1) }, joinDomains([stats]), 1);
    for (let i = 0; i < N; i++) expect(cal[i]).toBeCloseTo(plain[i], 6);
  });

  it("the studio's scores and the export's check block follow the project's calibration, and undo takes it back", () => {
    const r = mulberry32(9);
    const D = 5;
    const { dataset, ensemble } = makeSyntheticProject({ seed: 2, N: 60, M: 4 });
    const { N, M, C } = dataset;
    const emb = Array.from({ length: N }, () => Array.from({ length: D }, () => r() - 0.5));
    const T = Array.from({ length: M }, () => Array.from({ length: D }, () => r() - 0.5));
    const ds: Dataset = {
      ...dataset,
      imageModel: { id: 'test-model', embeddingDim: D, preprocessing: { size: 224, crop: 'center', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: 'bicubic', padToSquare: false } },
      imageEmbeddings: { R: 1, D, data: Float32Array.from(emb.flat()) },
      conceptText: { rows: M, cols: D, data: Float32Array.from(T.flat()) },
    };
    const store = createStudioStore();
    store.getState().commit({ type: 'load', dataset: ds, ensemble, label: 'Load' });
    const prompts = [Array.from({ length: D }, () => r() - 0.5), Array.from({ length: D }, () => r() - 0.5)];
    const sigmas = [Array.from(dataset.stats.sigma), Array.from(dataset.stats.sigma, (s, j) => s * (0.4 + j * 0.5))];
    const domain: DomainSettings = {
      mode: 'source', temperature: 0.5,
      domains: prompts.map((t, d) => ({ prompt: `condition ${d}`, textEmbedding: Float32Array.from(t), mu: Float32Array.from(dataset.stats.mu), sigma: Float32Array.from(sigmas[d]) })),
    };
    const before = oodScores(store.getState().dataset!, store.getState().session, 'mcm-student')!;
    store.getState().commit({ type: 'domainSettings', domain });
    const s = store.getState();
    const W = Array.from({ length: C }, (_, c) => Array.from(s.session!.state.ensemble!.served.W.subarray(c * M, (c + 1) * M)));
    const after = oodScores(s.dataset!, s.session, 'mcm-student')!;
    for (let i = 0; i < N; i++) expect(after[i]).toBeCloseTo(byHand(emb[i], W, T, prompts, sigmas, 0.5, 1), 5);
    expect(Array.from(after)).not.toEqual(Array.from(before));
    // Undo puts the uncalibrated scores back.
    store.getState().commit({ type: 'undo' });
    expect(Array.from(oodScores(store.getState().dataset!, store.getState().session, 'mcm-student')!)).toEqual(Array.from(before));
    // The export's check block carries the same calibrated score for its reference images.
    const check = computeCheckBlock({
      student: s.session!.state.ensemble!.served, stats: s.session!.state.stats!, conceptText: ds.conceptText!,
      images: { N: 3, R: 1, D, data: Float32Array.from(emb.slice(0, 3).flat()) },
      ood: { score: 'mcm-student', tau: 1, threshold: 0.5, calibrationN: 10 }, domain,
    } as Parameters<typeof computeCheckBlock>[0]);
    for (let i = 0; i < 3; i++) expect(check[i].oodScore!).toBeCloseTo(byHand(emb[i], W, T, prompts, sigmas, 0.5, 1), 5);
  });
});
