import './zodJitless.ts'; // first: no CSP-violating eval probe from zod
/** Embed worker entry: CLIP text and image embedding over Comlink (see embedApi.ts). */
import { expose } from 'comlink';
import { createEmbedApi, withTransfers } from './embedApi.ts';
import { configureBrowserRuntime } from '../ml/browserRuntime.ts';
import { decodeImage, thumbnail, encodeJpegAsync } from '../data/images/index.ts';
import { corrupt, type Corruption } from '../data/images/corrupt.ts';
import { createPrepWorkerClient, splitPrepare } from './embedPrepClient.ts';
import { modelThreads } from './modelThreads.ts';
import { openEmbeddingCache, memoryEmbeddingCache, cacheKey, sha256Hex } from '../data/cache/index.ts';

// One helper worker prepares images while the model runs here; with no core to spare beside the
// model's threads ('burst'), a second one joins and both prepare the next batch between model runs.
const single = createPrepWorkerClient();
let pair: ReturnType<typeof splitPrepare> | null = null;
const cores = navigator.hardwareConcurrency || 1;
const api = withTransfers(
  createEmbedApi({
    decode: (bytes, name) => decodeImage(bytes, name),
    hash: sha256Hex,
    // Private browsing can refuse IndexedDB: embed anyway, just without resuming.
    openCache: () => openEmbeddingCache().catch(() => memoryEmbeddingCache()),
    cacheKey,
    // The platform's JPEG encoder (OffscreenCanvas), ~100× faster than jpeg-js for thumbnails.
    thumbnail: (img, side) => encodeJpegAsync(thumbnail(img, side)),
    // Decode + preprocess in helper workers (embedApi.ts schedules them around the model runs).
    prepare: (files, cfg, ropts, thumbs, schedule) =>
      (schedule === 'burst' && cores > 1 ? (pair ??= splitPrepare([single, createPrepWorkerClient()])) : single)(files, cfg, ropts, thumbs),
    configureRuntime: (o) => {
      // Every core for the model, as in the train worker (onnxruntime's own default of half of them
      // gave 40 % fewer images per second on 2 cores).
      const threads = o.numThreads ?? modelThreads();
      configureBrowserRuntime({ numThreads: threads });
      return o.prepSchedule ?? (cores > threads ? 'overlap' : 'burst');
    },
    corrupt: (img, spec) => corrupt(img, { ...spec, kind: spec.kind as Corruption }),
  }),
);

expose(api);
export type EmbedApi = typeof api;
