/**
 * Where refits run. Both engines run the same core/pipeline code (the one the CLI runs): the
 * app installs the train worker's client (workers/trainClient); without workers (Node tests,
 * `?engine=local`) the pipeline runs in-process. Views never know which.
 */
import type { CancelToken, Mat, Progress } from '../core/types.ts';
import type { DistillInput, DistillResult, TuneInput, TuneResult } from '../core/pipeline/types.ts';
import type { LiveLogitsState } from '../core/tuning/liveLogits.ts';
import { distill, tune } from '../core/pipeline/distill.ts';

export interface EngineOptions {
  signal: AbortSignal;
  token: CancelToken;
  onProgress: (p: Progress) => void;
}

export interface TuneOptions extends EngineOptions {
  /**
   * The studio's Â: an engine off the UI thread may return the refitted student's live logits
   * over it (`live`, core LiveLogits' state), so the UI adopts them instead of recomputing.
   */
  liveAhat?: Mat;
}

/** A refit's result; `live` when the engine computed the live logits over `liveAhat`. */
export type TuneReply = TuneResult & { live?: LiveLogitsState };

export interface Engine {
  name: string;
  tune: (input: TuneInput, o: TuneOptions) => Promise<TuneReply>;
  distill: (input: DistillInput, o: EngineOptions) => Promise<DistillResult>;
}

export const inProcessEngine: Engine = {
  name: 'main thread (core pipeline)',
  tune: (input, o) => tune(input, { signal: o.token, onProgress: o.onProgress }),
  distill: (input, o) => distill(input, { signal: o.token, onProgress: o.onProgress }),
};

let current: Engine = inProcessEngine;
export const getEngine = (): Engine => current;
export function setEngine(e: Engine): void {
  current = e;
}
