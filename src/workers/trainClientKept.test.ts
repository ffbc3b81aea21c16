// The train worker keeps the activations of the last distil/tune, so a refit on the same data
// sends only its small inputs; results equal the in-process pipeline either way.
import { describe, it, expect, afterEach } from 'vitest';
import { Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Endpoint } from 'comlink';
import { createTrainClient, type TrainClient } from './trainClient.ts';
import { tune } from '../core/pipeline/distill.ts';
import { syntheticProblem } from '../core/student/synthetic.ts';
import type { Box } from '../core/types.ts';

const ENTRY = new URL('../../tests/support/nodeTrainWorker.mjs', import.meta.url);

/** Whether a message carries a Float32Array of exactly n values (the activations). */
function carries(x: unknown, n: number, seen = new Set<unknown>()): boolean {
  if (x instanceof Float32Array) return x.length === n;
  if (!x || typeof x !== 'object' || seen.has(x)) return false;
  seen.add(x);
  return Object.values(x).some((v) => carries(v, n, seen));
}

describe('train worker keeps the data between calls', () => {
  const prob = syntheticProblem({ N: 300, M: 14, C: 3, seed: 8 });
  let client: TrainClient | null = null;
  afterEach(() => client?.dispose());

  it('a refit after a distil sends no activations, a refit on other data does, and results match in-process', async () => {
    const sent: boolean[] = [];
    const workers: Worker[] = [];
    client = createTrainClient(() => {
      const w = new Worker(ENTRY);
      workers.push(w);
      const ep = nodeEndpoint(w) as Endpoint;
      const post = ep.postMessage.bind(ep);
      ep.postMessage = (msg: unknown, tr?: Transferable[]) => {
        sent.push(carries(msg, prob.A.data.length));
        post(msg, tr);
      };
      return { endpoint: ep, terminate: () => void w.terminate() };
    });
    const d = await client.distill({ raw: prob.A, teacher: prob.P, members: 3, seed: 2 });
    expect(sent.some((x) => x)).toBe(true);
    const box: Box = { lo: new Float32Array(3 * 14).fill(-Infinity), hi: new Float32Array(3 * 14).fill(Infinity) };
    box.lo[3] = box.hi[3] = 0;
    const input = { raw: prob.A, teacher: prob.P, stats: d.stats, split: d.split, current: d.ensemble, bounds: box, seed: 2 };
    sent.length = 0;
    const remote = await client.tune(input);
    expect(sent.some((x) => x)).toBe(false);
    const local = await tune(input);
    expect(Array.from(remote.ensemble.served.W)).toEqual(Array.from(local.ensemble.served.W));
    expect(remote.ensemble.served.W[3]).toBe(0);
    // Other arrays (even with equal values) are sent again.
    sent.length = 0;
    const again = await client.tune({ ...input, raw: { ...prob.A, data: prob.A.data.slice() } });
    expect(sent.some((x) => x)).toBe(true);
    expect(Array.from(again.ensemble.served.W)).toEqual(Array.from(local.ensemble.served.W));
    expect(workers).toHaveLength(1);
  });
});
