// The train worker's API, driven through Comlink across a real worker thread, exactly as the
// studio drives it across a Web Worker.
import { describe, it, expect, afterEach } from 'vitest';
import { Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createTrainClient, type TrainClient } from './trainClient.ts';
import { distill } from '../core/pipeline/distill.ts';
import { syntheticProblem } from '../core/student/synthetic.ts';
import { CancelledError, type Progress } from '../core/types.ts';

const ENTRY = new URL('../../tests/support/nodeTrainWorker.mjs', import.meta.url);
let spawned = 0;

function nodeClient(): TrainClient {
  return createTrainClient(() => {
    spawned++;
    const w = new Worker(ENTRY);
    return { endpoint: nodeEndpoint(w), terminate: () => void w.terminate() };
  });
}

describe('train worker client', () => {
  const prob = syntheticProblem({ N: 400, M: 16, C: 3, seed: 5 });
  let client: TrainClient | null = null;
  afterEach(() => client?.dispose());

  it('distils in the worker with the same result as in-process, reporting progress, without touching the caller data', async () => {
    client = nodeClient();
    const seen: Progress[] = [];
    const before = prob.A.data.slice();
    const remote = await client.distill({ raw: prob.A, teacher: prob.P, members: 3, seed: 4 }, { onProgress: (p) => seen.push(p) });
    const local = await distill({ raw: prob.A, teacher: prob.P, members: 3, seed: 4 });
    expect(Array.from(remote.ensemble.served.W)).toEqual(Array.from(local.ensemble.served.W));
    expect(remote.metrics).toEqual(local.metrics);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.map((p) => p.stage)).toContain('members');
    expect(Array.from(prob.A.data)).toEqual(Array.from(before));
  });

  it('cancelling terminates the worker, rejects with CancelledError, and the next call starts a fresh worker', async () => {
    client = nodeClient();
    const big = syntheticProblem({ N: 4000, M: 200, C: 8, seed: 1 });
    const ac = new AbortController();
    const started = spawned;
    const run = client.distill({ raw: big.A, teacher: big.P, members: 20 }, { signal: ac.signal, onProgress: () => ac.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const next = await client.distill({ raw: prob.A, teacher: prob.P, members: 2 });
    expect(next.ensemble.members).toHaveLength(2);
    expect(spawned - started).toBe(2);
  });
});
