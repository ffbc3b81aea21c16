// Live logits computed elsewhere (the train worker) and adopted by the UI thread must be the very
// values the UI thread would have computed itself: same logits bit for bit, same predictions,
// same live metrics — and logits of any other model are never adopted.
import { describe, expect, it } from 'vitest';
import { mulberry32, randInt, randNormal } from '../math/rng.ts';
import { mat } from '../math/linalg.ts';
import type { LinearModel, Mat } from '../types.ts';
import { LiveLogits, liveLogitsState } from './liveLogits.ts';

function setup(seed: number, N: number, M: number, C: number): { A: Mat; model: LinearModel; teacher: Int32Array; truth: Int32Array; held: number[] } {
  const rng = mulberry32(seed);
  const A = mat(N, M);
  for (let k = 0; k < A.data.length; k++) A.data[k] = randNormal(rng);
  const W = Float32Array.from({ length: C * M }, () => randNormal(rng) * 0.3);
  const b = Float32Array.from({ length: C }, () => randNormal(rng) * 0.1);
  const teacher = Int32Array.from({ length: N }, () => randInt(rng, C));
  const truth = Int32Array.from({ length: N }, (_, i) => (i % 4 === 0 ? -1 : randInt(rng, C)));
  const held = Array.from({ length: Math.floor(N / 3) }, (_, k) => 3 * k + 1);
  return { A, model: { W, b, C, M }, teacher, truth, held };
}

/** Everything a LiveLogits shows: logits (all of them), predictions, live and full metrics. */
function observe(live: LiveLogits) {
  const Z: number[] = [];
  for (let i = 0; i < live.N; i++) for (let c = 0; c < live.C; c++) Z.push(live.logit(i, c));
  return { Z, pred: Array.from(live.pred), fidelity: live.fidelity(), accuracy: live.accuracy(), metrics: live.metrics() };
}

describe('LiveLogits state computed elsewhere', () => {
  // C = 7: both the four-class pass and the remainder loop run.
  for (const [N, M, C] of [[300, 9, 7], [211, 24, 4], [50, 3, 2]] as const) {
    it(`is adopted with exactly the values of a recompute (N=${N}, M=${M}, C=${C})`, () => {
      const { A, model, teacher, truth, held } = setup(N + M + C, N, M, C);
      const labels = { teacher, truth, evalRows: held };
      const reference = new LiveLogits(A, model, labels);
      // As the worker does it: a copy of Â and a structured clone of the model (what crosses postMessage).
      const state = structuredClone(liveLogitsState({ ...A, data: A.data.slice() }, structuredClone(model)));
      const adopted = new LiveLogits(A, model, labels, state);
      expect(adopted.adopted).toBe(true);
      expect(reference.adopted).toBe(false);
      expect(observe(adopted)).toEqual(observe(reference));
      // And it keeps working as a live model: the same quick edits give the same results.
      const rng = mulberry32(4);
      for (let k = 0; k < 40; k++) {
        const c = randInt(rng, C);
        const j = randInt(rng, M);
        const w = randNormal(rng);
        expect(adopted.setWeight(c, j, w)).toBe(reference.setWeight(c, j, w));
        expect(Array.from(adopted.lastChanged())).toEqual(Array.from(reference.lastChanged()));
      }
      expect(observe(adopted)).toEqual(observe(reference));
      adopted.recompute();
      reference.recompute();
      expect(observe(adopted)).toEqual(observe(reference));
    });
  }

  it('is not adopted for another model or another shape; the logits are then computed here and still right', () => {
    const { A, model, teacher, truth, held } = setup(9, 120, 8, 5);
    const labels = { teacher, truth, evalRows: held };
    const reference = observe(new LiveLogits(A, model, labels));
    const other: LinearModel = { ...model, W: model.W.slice() };
    other.W[17] = Math.fround(other.W[17] + 1e-3);
    const otherBias: LinearModel = { ...model, b: model.b.slice() };
    otherBias.b[2] = -otherBias.b[2] - 0.5;
    const small = setup(9, 119, 8, 5);
    for (const state of [liveLogitsState(A, other), liveLogitsState(A, otherBias), liveLogitsState(small.A, small.model)]) {
      const live = new LiveLogits(A, model, labels, state);
      expect(live.adopted).toBe(false);
      expect(observe(live)).toEqual(reference);
    }
  });
});
