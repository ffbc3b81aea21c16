import './zodJitless.ts'; // first: no CSP-violating eval probe from zod
/**
 * Helper worker of the embed worker: decodes and preprocesses batch k+1 while the embed worker's
 * model runs batch k (an onnxruntime-web run blocks its worker's thread, so the two cannot
 * overlap in one worker), and makes the gallery thumbnails from the same decoded pixels.
 * Messages: { id, files, cfg, ropts, thumbs? } → { id, result } | { id, error }; file bytes come
 * in and pixel and thumbnail buffers go back by transfer.
 */
import { prepareBatch, preparedBuffers, type PrepFile, type PrepThumbs } from './embedPrep.ts';
import { decodeImage, encodeJpegAsync, thumbnail } from '../data/images/index.ts';
import type { PreprocessConfig, RegionOptions } from '../ml/preprocess.ts';

export interface PrepRequest {
  id: number;
  files: PrepFile[];
  cfg: PreprocessConfig;
  ropts: RegionOptions;
  thumbs?: PrepThumbs;
}

self.onmessage = async (e: MessageEvent<PrepRequest>) => {
  const { id, files, cfg, ropts, thumbs } = e.data;
  try {
    // The platform's JPEG encoder (OffscreenCanvas): about a millisecond per thumbnail.
    const result = await prepareBatch(files, cfg, ropts, (b, n) => decodeImage(b, n), thumbs, (img, side) => encodeJpegAsync(thumbnail(img, side)));
    (self as unknown as Worker).postMessage({ id, result }, preparedBuffers(result));
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, error: (err as Error)?.message ?? String(err) });
  }
};
