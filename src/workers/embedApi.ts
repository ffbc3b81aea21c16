/**
 * What the embed worker exposes: load a CLIP model once, embed concept texts, and embed image
 * files in batches (decode → cache lookup → preprocess with regions → vision tower → cache
 * store), with progress (images/s, ETA) and per-file errors that never stop the batch.
 *
 * Decoding and the cache are injected (embed.worker.ts passes src/data's; Node tests pass the
 * same functions), so this file depends on ml and core only and runs unchanged in a Node
 * worker thread. Every batch is written to the cache as soon as it is embedded: cancelling
 * (= terminating the worker) loses at most one batch, and the next run resumes from the cache.
 */
import { transfer } from 'comlink';
import { loadClip, type ClipModel, type ClipOptions } from '../ml/clip.ts';
import { regionCount, type PreprocessConfig, type RegionOptions, type RgbImage } from '../ml/preprocess.ts';
import { prepareBatch, type PreparedBatch, type PrepThumbs } from './embedPrep.ts';
import { simdResampleAvailable } from '../ml/resampleSimd.ts';
import { simdJpegAvailable } from '../data/images/jpegSimd.ts';
import { shiftMethods, type ShiftSpec } from './embedShift.ts';

export interface CacheLike {
  getMany(keys: string[]): Promise<(Float32Array | undefined)[]>;
  putMany(entries: { key: string; data: Float32Array }[]): Promise<void>;
}

export interface EmbedDeps {
  decode(bytes: Uint8Array, name: string): Promise<RgbImage>;
  hash(bytes: Uint8Array): Promise<string>;
  openCache(): Promise<CacheLike>;
  cacheKey(parts: { model: string; dtype: string; regions: string; hash: string }): string;
  /** JPEG thumbnail of a decoded image fitting maxSide×maxSide (for the gallery). */
  thumbnail?(img: RgbImage, maxSide: number): Uint8Array | Promise<Uint8Array>;
  /**
   * Decode + preprocess a batch elsewhere (the browser's helper workers, so it overlaps with the
   * model, or under 'burst' is shared between two of them); default: inline with `decode`.
   */
  prepare?(files: EmbedFile[], cfg: PreprocessConfig, ropts: RegionOptions, thumbs: PrepThumbs | undefined, schedule: PrepSchedule): Promise<PreparedBatch>;
  /**
   * Runtime setup before the first model load (the browser's wasm paths and threads); returns the
   * preparation schedule it chose for them.
   */
  configureRuntime?(opts: { numThreads?: number; prepSchedule?: PrepSchedule }): PrepSchedule | void;
  /** The shift simulator's corruptions (src/data/images/corrupt.ts); without it embedShifted refuses. */
  corrupt?(img: RgbImage, spec: ShiftSpec): RgbImage;
}

export type EmbedLoadOptions = Omit<ClipOptions, 'onProgress'> & {
  /** WASM threads (needs cross-origin isolation); only the first load's value takes effect. */
  numThreads?: number;
  /**
   * When the next batch's images are decoded and preprocessed: while the model runs this one
   * ('overlap'), or between model runs, on two helper workers ('burst'). Default: 'overlap' when a
   * core is left over beside the model's threads, else 'burst' (on 2 cores with 2 model threads,
   * overlapping work preempts the model's threads: burst gave ~3 % more images/s,
   * `npm run bench:embed -- --overhead --prep overlap|burst`). Only the first load's value takes effect.
   */
  prepSchedule?: PrepSchedule;
};

export type PrepSchedule = 'overlap' | 'burst';

export interface ModelStatus {
  id: string;
  device: string;
  dtype: string;
  reason: string;
  dim: number;
  /** When images are prepared around the model runs (EmbedLoadOptions.prepSchedule). */
  prepSchedule: PrepSchedule;
  /**
   * Where the JPEG decoder's IDCT and colour conversion, and the resize, run: WebAssembly SIMD
   * ('wasm-simd': same bytes, faster), or their JS loops where SIMD is missing.
   */
  cpuKernels: { jpeg: 'wasm-simd' | 'js'; resize: 'wasm-simd' | 'js' };
}

export interface EmbedFile {
  id: string;
  bytes: Uint8Array;
}

export interface EmbedFilesOptions {
  /** 1 = full image; 2/3 = plus a 2×2/3×3 grid (R = 1, 5, 10). */
  grid?: 1 | 2 | 3;
  pad?: boolean;
  /** Read and write the cache (default true). */
  useCache?: boolean;
  /** Images per model call (default 8). */
  batchSize?: number;
  /**
   * Also return a JPEG thumbnail of every embedded file fitting this many pixels, made from the
   * pixels decoded for the model (cache hits are decoded for the thumbnail only).
   */
  thumbnailSide?: number;
}

export interface EmbedProgress {
  stage: 'loading' | 'embedding' | 'done';
  done: number;
  total: number;
  cached: number;
  failed: number;
  /** Images embedded by the model per second (cache hits excluded). */
  imagesPerSecond: number;
  /** Seconds left at the current rate; null until there is a rate. */
  etaSeconds: number | null;
  /** While loading: the file being fetched and its percentage. */
  file?: string;
  fileProgress?: number;
}

export interface EmbedFilesResult {
  /** Ids that were embedded (or found in the cache), in input order. */
  ids: string[];
  /** ids.length × R × D, L2-normalised. */
  embeddings: Float32Array;
  R: number;
  D: number;
  errors: { id: string; message: string }[];
  cached: number;
  computed: number;
  /** With `thumbnailSide`: one per id (null where the thumbnail failed). */
  thumbnails?: (Uint8Array | null)[];
}

export type EmbedProgressCallback = (p: EmbedProgress) => void;

export function createEmbedApi(deps: EmbedDeps) {
  let model: Promise<ClipModel> | null = null;
  let loadKey = '';
  /** When the next batch is prepared (see EmbedLoadOptions.prepSchedule). */
  let schedule: PrepSchedule = 'overlap';
  let cache: Promise<CacheLike> | null = null;
  const stats = { imagesEmbedded: 0, textsEmbedded: 0, modelCalls: 0 };

  function current(): Promise<ClipModel> {
    if (!model) throw new Error('no model loaded: call load() first');
    return model;
  }

  return {
    /** Loads (once per options) and self-checks the model; concurrent calls share the load. */
    async load(opts: EmbedLoadOptions, onProgress?: EmbedProgressCallback): Promise<ModelStatus> {
      const key = JSON.stringify(opts);
      if (!model || key !== loadKey) {
        loadKey = key;
        const progress = onProgress
          ? (p: { file?: string; progress?: number }) =>
              onProgress({ stage: 'loading', done: 0, total: 0, cached: 0, failed: 0, imagesPerSecond: 0, etaSeconds: null, file: p.file, fileProgress: p.progress })
          : undefined;
        const { numThreads, prepSchedule, ...clipOpts } = opts;
        schedule = deps.configureRuntime?.({ numThreads, prepSchedule }) ?? prepSchedule ?? 'overlap';
        model = loadClip({ ...clipOpts, onProgress: progress });
        model.catch(() => {
          if (loadKey === key) model = null;
        });
      }
      const m = await model;
      const kind = (simd: boolean) => (simd ? 'wasm-simd' : 'js') as 'wasm-simd' | 'js';
      const cpuKernels = { jpeg: kind(simdJpegAvailable()), resize: kind(simdResampleAvailable()) };
      // On a GPU the model leaves the CPU to preparation: overlap, whatever the core count.
      if (!opts.prepSchedule && m.device === 'webgpu') schedule = 'overlap';
      return { id: m.id, device: m.device, dtype: m.dtype, reason: m.reason, dim: m.dim, prepSchedule: schedule, cpuKernels };
    },

    async embedTexts(texts: string[], templates?: string[]): Promise<Float32Array> {
      const m = await current();
      stats.textsEmbedded += texts.length;
      return m.embedTexts(texts, templates);
    },

    async embedFiles(files: EmbedFile[], opts: EmbedFilesOptions = {}, onProgress?: EmbedProgressCallback): Promise<EmbedFilesResult> {
      const m = await current();
      const grid = opts.grid ?? 1;
      const R = regionCount(grid);
      const D = m.dim;
      const batch = Math.max(1, opts.batchSize ?? 8);
      const burst = schedule === 'burst';
      const regions = `g${grid}${opts.pad ? 'p' : ''}`;
      const store = opts.useCache === false ? null : await (cache ??= deps.openCache());
      const out = new Float32Array(files.length * R * D);
      const ok = new Array<boolean>(files.length).fill(false);
      const errors: EmbedFilesResult['errors'] = [];
      let cached = 0;
      let computed = 0;
      const t0 = Date.now();
      let lastReport = 0;
      // Across a worker boundary the callback is a Comlink proxy on its own port, so its messages
      // can overtake or trail the result; the final report is awaited so it arrives first.
      const report = async (done: number, force = false) => {
        const now = Date.now();
        if (!onProgress || (!force && now - lastReport < 100)) return;
        lastReport = now;
        const rate = computed > 0 ? computed / Math.max((now - t0) / 1000, 1e-3) : 0;
        const sent: unknown = onProgress({
          stage: done === files.length ? 'done' : 'embedding', done, total: files.length, cached, failed: errors.length,
          imagesPerSecond: rate, etaSeconds: rate > 0 ? (files.length - done) / rate : null,
        });
        if (done === files.length) await sent;
      };
      await report(0, true);
      // Pipelined: while the model runs batch k (an onnxruntime-web run blocks this worker's
      // thread), the `prepare` worker decodes and preprocesses batch k + 1, and the hashes and
      // cache lookups of batch k + 2 are queued. Inline (no prepare worker) the order of work is
      // the same; nothing overlaps.
      const ropts = { grid, pad: opts.pad };
      const side = opts.thumbnailSide && (deps.prepare || deps.thumbnail) ? opts.thumbnailSide : 0;
      const thumbs: (Uint8Array | null)[] | null = side ? new Array(files.length).fill(null) : null;
      const prepare = deps.prepare ?? ((f: EmbedFile[], cfg: PreprocessConfig, r: RegionOptions, t?: PrepThumbs) => prepareBatch(f, cfg, r, deps.decode, t, deps.thumbnail));
      const lookup = async (start: number) => {
        const idx = Array.from({ length: Math.min(batch, files.length - start) }, (_, k) => start + k);
        const keys = await Promise.all(idx.map(async (i) => deps.cacheKey({ model: m.id, dtype: m.dtype, regions, hash: await deps.hash(files[i].bytes) })));
        const hits = store ? await store.getMany(keys) : keys.map(() => undefined);
        const miss: number[] = [];
        for (const [k, hit] of hits.entries()) if (!(hit && hit.length === R * D)) miss.push(k);
        return { start, idx, keys, hits, miss };
      };
      type Looked = Awaited<ReturnType<typeof lookup>>;
      const dispatch = (l: Looked) => {
        // Cache hits go to the prepare step too when thumbnails are wanted (decoded for that only).
        const hitsOnly = side ? l.idx.filter((_, k) => !l.miss.includes(k)) : [];
        const t = side ? { side, only: hitsOnly.map((i) => files[i]) } : undefined;
        return { ...l, hitsOnly, prepared: l.miss.length > 0 || hitsOnly.length > 0 ? prepare(l.miss.map((k) => files[l.idx[k]]), m.preprocess, ropts, t, schedule) : null };
      };
      const quiet = <T>(p: Promise<T> | null) => (p?.catch(() => undefined), p); // rejections surface when awaited
      let cur = files.length > 0 ? dispatch(await lookup(0)) : null;
      quiet(cur?.prepared ?? null);
      let following = quiet(batch < files.length ? lookup(batch) : null);
      while (cur) {
        const { start, idx, keys, hits, miss, hitsOnly } = cur;
        const prepared = cur.prepared ? await cur.prepared : null;
        // Hand batch k + 1 to the prepare worker before this worker blocks in the model (or, with
        // no core to spare for it, after: `burst`).
        let next: ReturnType<typeof dispatch> | null = null;
        const handOn = async () => {
          next = following ? dispatch(await following) : null;
          quiet(next?.prepared ?? null);
          following = quiet(next && next.start + batch < files.length ? lookup(next.start + batch) : null);
        };
        if (!burst) await handOn();
        for (const [k, i] of idx.entries()) {
          const hit = hits[k];
          if (hit && hit.length === R * D) {
            out.set(hit, i * R * D);
            ok[i] = true;
            cached++;
          }
        }
        if (prepared) for (const e of prepared.errors) errors.push({ id: files[idx[miss[e.index]]].id, message: e.message });
        if (thumbs && prepared) {
          prepared.thumbs?.forEach((t, k) => (thumbs[idx[miss[k]]] = t));
          prepared.onlyThumbs?.forEach((t, k) => (thumbs[hitsOnly[k]] = t));
        }
        let handed = !burst;
        if (prepared && prepared.ok.length > 0 && prepared.dims[0] > 0) {
          const emb = await m.embedPixels(prepared.pixels, prepared.dims);
          // 'burst': the next batch's preparation starts the moment the model is done; storing
          // and reporting this batch below overlap it instead of delaying it (~6 ms a batch).
          if (!handed) await handOn();
          handed = true;
          const n = prepared.ok.length;
          stats.modelCalls++;
          stats.imagesEmbedded += n;
          computed += n;
          const entries = prepared.ok.map((p, k) => {
            const i = idx[miss[p]];
            const data = emb.subarray(k * R * D, (k + 1) * R * D);
            out.set(data, i * R * D);
            ok[i] = true;
            return { key: keys[miss[p]], data };
          });
          await store?.putMany(entries);
        }
        if (!handed) await handOn();
        await report(start + idx.length, start + idx.length === files.length);
        cur = next;
      }
      const ids = files.filter((_, i) => ok[i]).map((f) => f.id);
      const embeddings = new Float32Array(ids.length * R * D);
      let o = 0;
      for (let i = 0; i < files.length; i++) {
        if (!ok[i]) continue;
        embeddings.set(out.subarray(i * R * D, (i + 1) * R * D), o);
        o += R * D;
      }
      const result: EmbedFilesResult = { ids, embeddings, R, D, errors, cached, computed };
      if (thumbs) result.thumbnails = files.flatMap((_, i) => (ok[i] ? [thumbs[i]] : []));
      return result;
    },

    /** JPEG thumbnails (null where the file does not decode), without touching the model. */
    async thumbnails(files: EmbedFile[], maxSide = 160): Promise<(Uint8Array | null)[]> {
      if (!deps.thumbnail) throw new Error('thumbnails are not available in this worker');
      const out: (Uint8Array | null)[] = [];
      for (const f of files) {
        try {
          out.push(await deps.thumbnail(await deps.decode(f.bytes, f.id), maxSide));
        } catch {
          out.push(null);
        }
      }
      return out;
    },

    /** Vision tower on ready pixel_values [B,3,H,W] (pre-processed elsewhere; also the benchmark's probe). */
    async embedPixels(pixels: Float32Array, dims: number[]): Promise<Float32Array> {
      const m = await current();
      stats.modelCalls++;
      stats.imagesEmbedded += dims[0];
      return m.embedPixels(pixels, dims);
    },

    /** Shift simulator: every file under every corruption, embedded (embedShift.ts). */
    ...shiftMethods(current, deps),

    /** Counters, for tests and the UI ("no model call on a cache hit"). */
    stats() {
      return { ...stats };
    },
  };
}

export type EmbedApiObject = ReturnType<typeof createEmbedApi>;

/** The same API with its Float32Array results transferred to the caller instead of copied. */
export function withTransfers(api: EmbedApiObject) {
  return {
    ...api,
    async embedTexts(texts: string[], templates?: string[]): Promise<Float32Array> {
      const r = await api.embedTexts(texts, templates);
      return transfer(r, [r.buffer as ArrayBuffer]);
    },
    async embedFiles(files: EmbedFile[], opts?: EmbedFilesOptions, onProgress?: EmbedProgressCallback): Promise<EmbedFilesResult> {
      const r = await api.embedFiles(files, opts, onProgress);
      const buffers = new Set([r.embeddings.buffer as ArrayBuffer]);
      for (const t of r.thumbnails ?? []) if (t && t.byteOffset === 0 && t.byteLength === t.buffer.byteLength && t.buffer instanceof ArrayBuffer) buffers.add(t.buffer);
      return transfer(r, [...buffers]);
    },
    async embedPixels(pixels: Float32Array, dims: number[]): Promise<Float32Array> {
      const r = await api.embedPixels(pixels, dims);
      return transfer(r, [r.buffer as ArrayBuffer]);
    },
  };
}
