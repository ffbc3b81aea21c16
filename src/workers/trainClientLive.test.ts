// A refit in the train worker also returns the refitted student's live logits over the UI's Â,
// computed there with core LiveLogits' own code: adopting them on the UI thread must give exactly
// what a recompute there gives. Â crosses once per array, not once per refit.
import { describe, it, expect, afterEach } from 'vitest';
import { Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Endpoint } from 'comlink';
import { createTrainClient, type TrainClient } from './trainClient.ts';
import { tune } from '../core/pipeline/distill.ts';
import { standardise } from '../core/concepts/stats.ts';
import { argmaxRows } from '../core/math/linalg.ts';
import { syntheticProblem } from '../core/student/synthetic.ts';
import { LiveLogits } from '../core/tuning/liveLogits.ts';
import type { Box, Mat } from '../core/types.ts';

const ENTRY = new URL('../../tests/support/nodeTrainWorker.mjs', import.meta.url);

/** How many Float32Arrays of exactly n values a message carries. */
function count(x: unknown, n: number, seen = new Set<unknown>()): number {
  if (x instanceof Float32Array) return x.length === n ? 1 : 0;
  if (!x || typeof x !== 'object' || seen.has(x)) return 0;
  seen.add(x);
  return Object.values(x).reduce((s: number, v) => s + count(v, n, seen), 0);
}

function observe(live: LiveLogits) {
  const Z: number[] = [];
  for (let i = 0; i < live.N; i++) for (let c = 0; c < live.C; c++) Z.push(live.logit(i, c));
  return { Z, pred: Array.from(live.pred), fidelity: live.fidelity(), accuracy: live.accuracy(), metrics: live.metrics() };
}

describe('train worker returns the live logits of a refit', () => {
  const prob = syntheticProblem({ N: 360, M: 13, C: 6, seed: 11 });
  let client: TrainClient | null = null;
  afterEach(() => client?.dispose());

  it('equal to a UI-thread recompute over the very Â sent, sent once per array', async () => {
    const sent: number[] = [];
    const NM = prob.A.data.length;
    client = createTrainClient(() => {
      const w = new Worker(ENTRY);
      const ep = nodeEndpoint(w) as Endpoint;
      const post = ep.postMessage.bind(ep);
      ep.postMessage = (msg: unknown, tr?: Transferable[]) => {
        sent.push(count(msg, NM));
        post(msg, tr);
      };
      return { endpoint: ep, terminate: () => void w.terminate() };
    });
    const d = await client.distill({ raw: prob.A, teacher: prob.P, members: 3, seed: 3 });
    const box: Box = { lo: new Float32Array(6 * 13).fill(-Infinity), hi: new Float32Array(6 * 13).fill(Infinity) };
    box.lo[5] = box.hi[5] = 0;
    const input = { raw: prob.A, teacher: prob.P, stats: d.stats, split: d.split, current: d.ensemble, bounds: box, seed: 3 };
    // The UI's Â need not be the worker's own standardisation (a domain calibration changes it):
    // the live logits must be over the values sent.
    const ahat: Mat = standardise(prob.A, d.stats);
    for (let i = 0; i < ahat.rows; i++) ahat.data[i * ahat.cols + 2] *= 1.5;
    const teacher = argmaxRows(prob.P);
    // Some ground truth (every 3rd image unlabelled), so live accuracy is compared too.
    const truth = Int32Array.from(teacher, (t, i) => (i % 3 === 0 ? -1 : (t + (i % 5 === 0 ? 1 : 0)) % 6));
    const labels = { teacher, truth, evalRows: d.split.heldOut };

    sent.length = 0;
    const r = await client.tune(input, { liveAhat: ahat });
    // Â once (raw stays in the worker since the distil).
    expect(sent.reduce((a, b) => a + b, 0)).toBe(1);
    expect(r.live).toBeDefined();
    const local = await tune(input);
    expect(Array.from(r.ensemble.served.W)).toEqual(Array.from(local.ensemble.served.W));
    const adopted = new LiveLogits(ahat, r.ensemble.served, labels, r.live);
    expect(adopted.adopted).toBe(true);
    expect(observe(adopted)).toEqual(observe(new LiveLogits(ahat, local.ensemble.served, labels)));

    // A second refit on the same Â sends no N×M array at all; a new Â array is sent again.
    sent.length = 0;
    const again = await client.tune({ ...input, current: r.ensemble }, { liveAhat: ahat });
    expect(sent.reduce((a, b) => a + b, 0)).toBe(0);
    const adopted2 = new LiveLogits(ahat, again.ensemble.served, labels, again.live);
    expect(adopted2.adopted).toBe(true);
    expect(observe(adopted2)).toEqual(observe(new LiveLogits(ahat, again.ensemble.served, labels)));
    sent.length = 0;
    const other = { ...ahat, data: ahat.data.slice() };
    other.data[0] += 1;
    const third = await client.tune(input, { liveAhat: other });
    expect(sent.reduce((a, b) => a + b, 0)).toBe(1);
    expect(observe(new LiveLogits(other, third.ensemble.served, labels, third.live))).toEqual(observe(new LiveLogits(other, third.ensemble.served, labels)));
    // Without liveAhat there is no live state (the UI computes it itself).
    expect((await client.tune(input)).live).toBeUndefined();
  });
});
