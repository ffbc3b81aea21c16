/**
 * The CPU side of embedding one batch of files: decode → regions → resize/crop/normalise into one
 * pixel_values buffer. Pure (decoder injected), so it runs inline (Node, tests) or in the embed
 * worker's own helper worker (embedPrep.worker.ts), where it overlaps with the model running
 * the previous batch in the embed worker.
 */
import { preprocessBatch, regionCount, inputSize, type PreprocessConfig, type RegionOptions, type RgbImage } from '../ml/preprocess.ts';

export interface PrepFile {
  id: string;
  bytes: Uint8Array;
}

export interface PreparedBatch {
  /** Positions (in the request) of the files that are in `pixels`, in order. */
  ok: number[];
  /** Files that failed to decode or preprocess, in request order. */
  errors: { index: number; message: string }[];
  /** [ok.length·R, 3, H, W] float32, image-major. */
  pixels: Float32Array;
  dims: [number, number, number, number];
}

export type Decode = (bytes: Uint8Array, name: string) => Promise<RgbImage>;

export async function prepareBatch(files: PrepFile[], cfg: PreprocessConfig, ropts: RegionOptions, decode: Decode): Promise<PreparedBatch> {
  const R = regionCount(ropts.grid ?? 1);
  const [H, W] = inputSize(cfg);
  const per = R * 3 * H * W;
  const pixels = new Float32Array(files.length * per);
  const ok: number[] = [];
  const errors: PreparedBatch['errors'] = [];
  for (const [index, f] of files.entries()) {
    try {
      const img = await decode(f.bytes, f.id);
      // One image at a time, written straight into its slot: no per-batch copy.
      preprocessBatch([img], cfg, ropts, pixels, ok.length * per);
      ok.push(index);
    } catch (e) {
      errors.push({ index, message: (e as Error)?.message ?? String(e) });
    }
  }
  const n = ok.length;
  return { ok, errors, pixels: n === files.length ? pixels : pixels.slice(0, n * per), dims: [n * R, 3, H, W] };
}
