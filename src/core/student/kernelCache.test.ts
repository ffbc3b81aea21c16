import { describe, expect, it } from 'vitest';
import type { Box } from '../types.ts';
import { createJsKernel } from './jsKernel.ts';
import type { KernelFactory } from './kernel.ts';
import { cachingKernelFactory } from './kernelCache.ts';
import { fitEnsemble, refitWithBounds } from './fit.ts';
import { syntheticProblem } from './synthetic.ts';

/** A JS-kernel factory that counts the kernels it made and the ones disposed. */
function counting() {
  const stats = { made: 0, disposed: 0 };
  const make: KernelFactory = async (A, P, N, M, C) => {
    stats.made++;
    const k = createJsKernel({ rows: N, cols: M, data: A }, { rows: N, cols: C, data: P });
    return { ...k, forward: k.forward.bind(k), backward: k.backward.bind(k), dispose: async () => { stats.disposed++; await k.dispose(); } };
  };
  return { stats, make };
}

describe('cachingKernelFactory', () => {
  const { A, P } = syntheticProblem({ N: 300, M: 12, C: 3, seed: 4 });

  it('a distil and the refits after it share one kernel, with the same results as fresh kernels', async () => {
    const { stats, make } = counting();
    const cached = cachingKernelFactory(make);
    const ens = await fitEnsemble(A, P, { members: 4, kernel: cached });
    const box: Box = { lo: new Float32Array(3 * 12).fill(-Infinity), hi: new Float32Array(3 * 12).fill(Infinity) };
    box.lo[5] = box.hi[5] = 0;
    // Fresh copies of the same data, as the worker receives them on every call.
    const a = await refitWithBounds({ ...A, data: A.data.slice() }, { ...P, data: P.data.slice() }, ens, box, { kernel: cached, reuseSolved: false });
    const b = await refitWithBounds(A, P, ens, box, { kernel: make });
    expect(cached.made).toBe(1);
    expect(stats.made).toBe(2); // one kept by the cache, one fresh for the reference
    expect(stats.disposed).toBe(1); // the fresh one; the kept one stays alive
    // Solving every column, the kept kernel computes what a fresh one computes, bit for bit.
    expect(Array.from(a.served.W)).toEqual(Array.from(b.served.W));
    expect(a.served.W[5]).toBe(0);
    // By default it skips the columns it has already solved (refitReuse.test.ts): the same answer
    // within the members' tolerance.
    const c = await refitWithBounds({ ...A, data: A.data.slice() }, { ...P, data: P.data.slice() }, ens, box, { kernel: cached });
    expect(c.served.W[5]).toBe(0);
    for (let q = 0; q < c.served.W.length; q++) expect(Math.abs(c.served.W[q] - b.served.W[q])).toBeLessThan(2e-2);
    expect(cached.made).toBe(1);
  });

  it('other data gets a new kernel and the old one is disposed', async () => {
    const { stats, make } = counting();
    const cached = cachingKernelFactory(make);
    const k1 = await cached(A.data, P.data, A.rows, A.cols, P.cols);
    await k1.dispose(); // a borrower's dispose keeps it
    const changed = A.data.slice();
    changed[7] += 1e-3;
    await cached(changed, P.data, A.rows, A.cols, P.cols);
    expect(stats).toEqual({ made: 2, disposed: 1 });
    await cached.clear();
    expect(stats.disposed).toBe(2);
  });
});
