import './zodJitless.ts'; // first: no CSP-violating eval probe from zod
/**
 * Helper worker of the embed worker: decodes and preprocesses batch k+1 while the embed worker's
 * model runs batch k (an onnxruntime-web run blocks its worker's thread, so the two cannot
 * overlap in one worker). Messages: { id, files, cfg, ropts } → { id, result } | { id, error };
 * file bytes come in and pixel buffers go back by transfer.
 */
import { prepareBatch, type PrepFile } from './embedPrep.ts';
import { decodeImage } from '../data/images/index.ts';
import type { PreprocessConfig, RegionOptions } from '../ml/preprocess.ts';

export interface PrepRequest {
  id: number;
  files: PrepFile[];
  cfg: PreprocessConfig;
  ropts: RegionOptions;
}

self.onmessage = async (e: MessageEvent<PrepRequest>) => {
  const { id, files, cfg, ropts } = e.data;
  try {
    const result = await prepareBatch(files, cfg, ropts, (b, n) => decodeImage(b, n));
    (self as unknown as Worker).postMessage({ id, result }, [result.pixels.buffer]);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, error: (err as Error)?.message ?? String(err) });
  }
};
