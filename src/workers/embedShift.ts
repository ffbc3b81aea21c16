/**
 * The shift simulator's embedding step (METHODS §8), a method of the embed worker's API: decode
 * each image once, apply every requested corruption (src/data/images/corrupt.ts, injected so this
 * file keeps to ml and core), preprocess exactly as `embedFiles` does (ml/preprocess) and run the
 * loaded model's vision tower. Nothing is cached: corrupted images are throw-away.
 */
import type { ClipModel } from '../ml/clip.ts';
import { inputSize, preprocessBatch, regionCount, type RgbImage } from '../ml/preprocess.ts';

/** One corruption: kind (darken, haze, contrast, noise, jpeg), severity 1–5, seed. */
export interface ShiftSpec {
  kind: string;
  severity: number;
  seed?: number;
}

export interface ShiftDeps {
  decode(bytes: Uint8Array, name: string): Promise<RgbImage>;
  corrupt?(img: RgbImage, spec: ShiftSpec): RgbImage;
}

export interface EmbedShiftedOptions {
  grid?: 1 | 2 | 3;
  pad?: boolean;
  /** Corrupted images per model call (default 16). */
  batchSize?: number;
}

export interface EmbedShiftedResult {
  /** Ids of the files that decoded, in input order. */
  ids: string[];
  /** K = number of specs. */
  K: number;
  R: number;
  D: number;
  /** ids.length × K × R × D: image-major, then spec, then region (row 0 = full image). */
  embeddings: Float32Array;
  errors: { id: string; message: string }[];
}

export function shiftMethods(current: () => Promise<ClipModel>, deps: ShiftDeps) {
  return {
    /** Embed every file under every corruption; `onProgress(done, total)` counts corrupted images. */
    async embedShifted(
      files: { id: string; bytes: Uint8Array }[],
      specs: ShiftSpec[],
      opts: EmbedShiftedOptions = {},
      onProgress?: (done: number, total: number) => unknown,
    ): Promise<EmbedShiftedResult> {
      const corrupt = deps.corrupt;
      if (!corrupt) throw new Error('this embed worker cannot corrupt images (no shift simulator)');
      if (specs.length === 0) throw new Error('the shift simulator needs at least one corruption');
      const m = await current();
      const grid = opts.grid ?? 1;
      const R = regionCount(grid);
      const D = m.dim;
      const K = specs.length;
      const [H, W] = inputSize(m.preprocess);
      const per = R * 3 * H * W;
      const batch = Math.max(1, opts.batchSize ?? 16);
      const ids: string[] = [];
      const errors: EmbedShiftedResult['errors'] = [];
      const chunks: Float32Array[] = [];
      const total = files.length * K;
      let done = 0;
      // A batch of corrupted images (any mix of files and specs) is one model call.
      let pixels = new Float32Array(batch * per);
      let filled = 0;
      const flush = async () => {
        if (filled === 0) return;
        chunks.push(await m.embedPixels(pixels.subarray(0, filled * per), [filled * R, 3, H, W]));
        done += filled;
        filled = 0;
        pixels = new Float32Array(batch * per);
        await onProgress?.(done, total);
      };
      for (const f of files) {
        let img: RgbImage;
        try {
          img = await deps.decode(f.bytes, f.id);
        } catch (e) {
          errors.push({ id: f.id, message: (e as Error)?.message ?? String(e) });
          continue;
        }
        ids.push(f.id);
        for (const spec of specs) {
          preprocessBatch([corrupt(img, spec)], m.preprocess, { grid, pad: opts.pad }, pixels, filled * per);
          if (++filled === batch) await flush();
        }
      }
      await flush();
      const embeddings = new Float32Array(ids.length * K * R * D);
      let o = 0;
      for (const c of chunks) {
        embeddings.set(c, o);
        o += c.length;
      }
      return { ids, K, R, D, embeddings, errors };
    },
  };
}
