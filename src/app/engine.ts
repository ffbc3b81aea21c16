/** The train worker as the store's refit engine: the same core pipeline, off the main thread. */
import type { Engine } from '../state/engine.ts';
import { createTrainClient } from '../workers/trainClient.ts';

export function workerEngine(): Engine {
  const client = createTrainClient();
  return {
    name: 'train worker',
    tune: (input, o) => client.tune(input, { signal: o.signal, onProgress: o.onProgress, liveAhat: o.liveAhat }),
    distill: (input, o) => client.distill(input, { signal: o.signal, onProgress: o.onProgress }),
  };
}
