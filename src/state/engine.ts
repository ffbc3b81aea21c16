/**
 * Where refits run. The default is the main-thread stand-in (tuneLocal.ts); the app swaps in
 * the train worker's client (workers/trainClient) once it is available, so views never know.
 */
import type { CancelToken, Ensemble, Progress } from '../core/types.ts';
import type { DistillInput, TuneInput } from '../core/pipeline/types.ts';
import { refitLocal } from './tuneLocal.ts';

export interface EngineOptions {
  signal: AbortSignal;
  token: CancelToken;
  onProgress: (p: Progress) => void;
}

export interface Engine {
  name: string;
  tune: (input: TuneInput, o: EngineOptions) => Promise<{ ensemble: Ensemble }>;
  /**
   * Distil from scratch. The real engine picks its own split and standardisation and returns
   * them; the stand-in keeps the project's (and warm-starts from `start`).
   */
  distill: (input: DistillInput & { start: Ensemble; stats: TuneInput['stats']; split: TuneInput['split'] }, o: EngineOptions) =>
    Promise<{ ensemble: Ensemble; stats?: TuneInput['stats']; split?: TuneInput['split'] }>;
}

export const localEngine: Engine = {
  name: 'main-thread stand-in',
  tune: (input, o) => refitLocal(input, { signal: o.token, onProgress: o.onProgress }),
  distill: (input, o) => {
    const { C, M } = input.start.served;
    const free = { lo: new Float32Array(C * M).fill(-Infinity), hi: new Float32Array(C * M).fill(Infinity) };
    return refitLocal(
      { raw: input.raw, teacher: input.teacher, stats: input.stats, split: input.split, current: input.start, bounds: free, iterations: 250 },
      { signal: o.token, onProgress: (p) => o.onProgress({ ...p, stage: 'distil (main-thread stand-in)' }) },
    );
  },
};

let current: Engine = localEngine;
export const getEngine = (): Engine => current;
export function setEngine(e: Engine): void {
  current = e;
}
