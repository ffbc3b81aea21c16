/** The train worker as the store's refit engine (replaces the main-thread stand-in). */
import type { Engine } from '../state/engine.ts';
import { createTrainClient } from '../workers/trainClient.ts';

export function workerEngine(): Engine {
  const client = createTrainClient();
  return {
    name: 'train worker',
    tune: async (input, o) => {
      const r = await client.tune(input, { signal: o.signal, onProgress: o.onProgress });
      return { ensemble: r.ensemble };
    },
    distill: async (input, o) => {
      const { start: _s, stats: _st, split: _sp, ...rest } = input;
      void _s; void _st; void _sp;
      const r = await client.distill(rest, { signal: o.signal, onProgress: o.onProgress });
      return { ensemble: r.ensemble, stats: r.stats, split: r.split };
    },
  };
}
