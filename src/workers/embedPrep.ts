/**
 * The CPU side of embedding one batch of files: decode → regions → resize/crop/normalise into one
 * pixel_values buffer, and (when asked) a JPEG thumbnail from the same decoded pixels, so an
 * image is decoded once per run, not once for the gallery and once for the model. Files whose
 * embeddings are cached already are decoded for their thumbnail only.
 *
 * Pure (decoder and thumbnail encoder injected), so it runs inline (Node, tests) or in the embed
 * worker's own helper worker (embedPrep.worker.ts), where it overlaps with the model running
 * the previous batch in the embed worker.
 */
import { preprocessBatch, regionCount, inputSize, type PreprocessConfig, type RegionOptions, type RgbImage } from '../ml/preprocess.ts';
import { trimSimdResample } from '../ml/resampleSimd.ts';
import { trimJpegMemory } from '../data/images/index.ts';

export interface PrepFile {
  id: string;
  bytes: Uint8Array;
}

/** Thumbnails from the decoded pixels: their longest side, and files that need a thumbnail only. */
export interface PrepThumbs {
  side: number;
  /** Files not to embed (cache hits) that still need a thumbnail. */
  only: PrepFile[];
}

export interface PreparedBatch {
  /** Positions (in the request) of the files that are in `pixels`, in order. */
  ok: number[];
  /** Files that failed to decode or preprocess, in request order. */
  errors: { index: number; message: string }[];
  /** [ok.length·R, 3, H, W] float32, image-major. */
  pixels: Float32Array;
  dims: [number, number, number, number];
  /** With thumbnails asked for: one per requested file (null where it failed), in request order. */
  thumbs?: (Uint8Array | null)[];
  /** With thumbnails asked for: one per `thumbs.only` file (null where it failed). */
  onlyThumbs?: (Uint8Array | null)[];
}

export type Decode = (bytes: Uint8Array, name: string) => Promise<RgbImage>;
export type MakeThumbnail = (img: RgbImage, maxSide: number) => Uint8Array | Promise<Uint8Array>;

/** How long a thread prepares nothing before big photos' kernel memory is let go. */
export const IDLE_TRIM_MS = 250;
let idleTrim: ReturnType<typeof setTimeout> | undefined;

/**
 * Big photos may grow the SIMD kernels' memories (up to 64 MB each). The images of a run share
 * them, even when a batch comes one file per request (splitPrepare: requests follow each other
 * within milliseconds); once this thread has prepared nothing for IDLE_TRIM_MS — between batches,
 * while the model runs, or after the run — anything above 16 MB is let go.
 */
function trimWhenIdle(): void {
  clearTimeout(idleTrim);
  idleTrim = setTimeout(() => {
    trimJpegMemory();
    trimSimdResample();
  }, IDLE_TRIM_MS);
  (idleTrim as { unref?: () => void }).unref?.(); // never keeps a Node process alive
}

export async function prepareBatch(files: PrepFile[], cfg: PreprocessConfig, ropts: RegionOptions, decode: Decode, thumbs?: PrepThumbs, makeThumb?: MakeThumbnail): Promise<PreparedBatch> {
  clearTimeout(idleTrim); // not in the middle of a batch
  const R = regionCount(ropts.grid ?? 1);
  const [H, W] = inputSize(cfg);
  const per = R * 3 * H * W;
  const pixels = new Float32Array(files.length * per);
  const ok: number[] = [];
  const errors: PreparedBatch['errors'] = [];
  const wantThumbs = !!(thumbs && makeThumb);
  const thumbOf = async (img: RgbImage): Promise<Uint8Array | null> => {
    try {
      return await makeThumb!(img, thumbs!.side);
    } catch {
      return null; // the gallery draws a placeholder; the embedding does not depend on it
    }
  };
  const out: (Uint8Array | null)[] = [];
  for (const [index, f] of files.entries()) {
    let img: RgbImage;
    try {
      img = await decode(f.bytes, f.id);
      // One image at a time, written straight into its slot: no per-batch copy.
      preprocessBatch([img], cfg, ropts, pixels, ok.length * per);
      ok.push(index);
    } catch (e) {
      errors.push({ index, message: (e as Error)?.message ?? String(e) });
      if (wantThumbs) out.push(null);
      continue;
    }
    if (wantThumbs) out.push(await thumbOf(img));
  }
  const onlyThumbs: (Uint8Array | null)[] = [];
  if (wantThumbs) {
    for (const f of thumbs!.only) {
      let img: RgbImage | null = null;
      try {
        img = await decode(f.bytes, f.id);
      } catch {
        img = null;
      }
      onlyThumbs.push(img ? await thumbOf(img) : null);
    }
  }
  trimWhenIdle();
  const n = ok.length;
  return {
    ok, errors, pixels: n === files.length ? pixels : pixels.slice(0, n * per), dims: [n * R, 3, H, W],
    ...(wantThumbs ? { thumbs: out, onlyThumbs } : {}),
  };
}

/** Every buffer of a prepared batch, for a transfer list. */
export function preparedBuffers(b: PreparedBatch): ArrayBuffer[] {
  const s = new Set<ArrayBuffer>([b.pixels.buffer as ArrayBuffer]);
  for (const t of [...(b.thumbs ?? []), ...(b.onlyThumbs ?? [])]) if (t && t.buffer instanceof ArrayBuffer && t.byteOffset === 0 && t.byteLength === t.buffer.byteLength) s.add(t.buffer);
  return [...s];
}
