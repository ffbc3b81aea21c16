/**
 * Under domain calibration the student sees calibrated â (METHODS §8). A refit made while
 * calibration is on (uptune, ban…) must fit on that same â: the metrics it records on its
 * history node, the flips it reports and the predictions the studio then shows all agree, and the
 * refitted weights are those of a fit on the calibrated â. The same holds for a distillation.
 */
import { describe, expect, it } from 'vitest';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { createStudioStore } from './store.ts';
import { DEFAULT_TRAINING } from './project.ts';
import { mulberry32 } from '../core/math/rng.ts';
import { distill, tune } from '../core/pipeline/distill.ts';
import type { DomainSettings } from '../core/project/index.ts';
import type { Dataset } from './types.ts';

/** A loaded synthetic project with image embeddings and two calibration domains in force. */
function calibratedStore() {
  const r = mulberry32(21);
  const D = 6;
  const { dataset, ensemble } = makeSyntheticProject({ seed: 8, N: 300, M: 10 });
  const ds: Dataset = {
    ...dataset,
    imageModel: { id: 'test-model', embeddingDim: D, preprocessing: { size: 224, crop: 'center', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resample: 'bicubic', padToSquare: false } },
    imageEmbeddings: { R: 1, D, data: Float32Array.from({ length: dataset.N * D }, () => r() - 0.5) },
  };
  const store = createStudioStore();
  store.setState({ training: { ...DEFAULT_TRAINING, members: 3 } });
  store.getState().commit({ type: 'load', dataset: ds, ensemble, label: 'Load' });
  const domain: DomainSettings = {
    mode: 'source', temperature: 0.05,
    domains: [0, 1].map((d) => ({
      prompt: `condition ${d}`, textEmbedding: Float32Array.from({ length: D }, () => r() - 0.5),
      mu: Float32Array.from(dataset.stats.mu, (m, j) => m + (d ? 0.4 * Math.sin(j) : 0)),
      sigma: Float32Array.from(dataset.stats.sigma, (s, j) => s * (d ? 0.3 + (j % 3) : 1)),
    })),
  };
  store.getState().commit({ type: 'domainSettings', domain });
  const cal = store.getState().dataset!;
  expect(cal.ahatDomain).toBe(domain);
  return { store, cal };
}

const identity = (M: number) => ({ mu: new Float32Array(M), sigma: new Float32Array(M).fill(1) });

describe('a refit under domain calibration', () => {
  it('fits on the calibrated â: recorded metrics = shown metrics, weights = a fit on calibrated â', async () => {
    const { store, cal } = calibratedStore();
    const current = store.getState().ensemble!;
    await store.getState().tune('ban', 1, 3);
    const s = store.getState();
    const node = s.session!.history.nodes[s.session!.history.head];
    expect(node.action).toBe('tune');
    // What the node recorded is what the studio shows for the same student.
    expect(node.metricsAfter!.fidelity).toBe(s.metrics!.fidelity);
    expect(node.metricsAfter!.accuracy).toBe(s.metrics!.accuracy);
    // The weights are a fit on the calibrated â (the same refit, run here on â with μ = 0, σ = 1).
    const box = s.boxes[node.id];
    const want = await tune(
      { raw: { rows: cal.N, cols: cal.M, data: cal.ahat }, stats: { mu: new Float32Array(cal.M), sigma: new Float32Array(cal.M).fill(1) }, teacher: cal.teacher, labels: cal.labels ?? undefined, split: cal.split, current, bounds: box, lambda: DEFAULT_TRAINING.lambda, seed: DEFAULT_TRAINING.seed },
      { signal: { aborted: false }, onProgress: () => undefined },
    );
    expect(Array.from(s.ensemble!.served.W)).toEqual(Array.from(want.ensemble.served.W));
    // And the banned weight is 0, the predictions those of the calibrated â.
    expect(s.ensemble!.served.W[1 * cal.M + 3]).toBe(0);
    expect(Array.from(s.live!.pred)).toEqual(Array.from(want.predictions));
  });

  it('a distillation fits on the calibrated â too (and keeps the plain statistics for mode off)', async () => {
    const { store, cal } = calibratedStore();
    await store.getState().distill();
    const s = store.getState();
    expect(s.ui.announce).toMatch(/Distillation done/);
    const node = s.session!.history.nodes[s.session!.history.head];
    expect(node.action).toBe('distill');
    expect(node.metricsAfter!.fidelity).toBe(s.metrics!.fidelity);
    const t = s.training;
    const common = { raw: cal.raw, teacher: cal.teacher, labels: cal.labels ?? undefined, holdout: t.heldOutFraction, members: t.members, lambda: t.lambda, seed: t.seed };
    const want = await distill({ ...common, fitOn: { raw: { rows: cal.N, cols: cal.M, data: cal.ahat }, stats: identity(cal.M) } });
    expect(Array.from(s.ensemble!.served.W)).toEqual(Array.from(want.ensemble.served.W));
    expect(Array.from(s.live!.pred)).toEqual(Array.from(want.predictions));
    // The project keeps the plain §2 statistics of the new split.
    expect(Array.from(s.dataset!.stats.mu)).toEqual(Array.from(want.stats.mu));
    // A fit on plain â would differ: the test tells the two apart.
    const plain = await distill(common);
    expect(Array.from(plain.ensemble.served.W)).not.toEqual(Array.from(want.ensemble.served.W));
  });
});
