import './zodJitless.ts'; // first: no CSP-violating eval probe from zod
/** Embed worker entry: CLIP text and image embedding over Comlink (see embedApi.ts). */
import { expose } from 'comlink';
import { createEmbedApi, withTransfers } from './embedApi.ts';
import { configureBrowserRuntime } from '../ml/browserRuntime.ts';
import { decodeImage, thumbnail, encodeJpegAsync } from '../data/images/index.ts';
import { corrupt, type Corruption } from '../data/images/corrupt.ts';
import { createPrepWorkerClient } from './embedPrepClient.ts';
import { openEmbeddingCache, memoryEmbeddingCache, cacheKey, sha256Hex } from '../data/cache/index.ts';

const api = withTransfers(
  createEmbedApi({
    decode: (bytes, name) => decodeImage(bytes, name),
    hash: sha256Hex,
    // Private browsing can refuse IndexedDB: embed anyway, just without resuming.
    openCache: () => openEmbeddingCache().catch(() => memoryEmbeddingCache()),
    cacheKey,
    // The platform's JPEG encoder (OffscreenCanvas), ~100× faster than jpeg-js for thumbnails.
    thumbnail: (img, side) => encodeJpegAsync(thumbnail(img, side)),
    // Decode + preprocess in a helper worker, overlapping with the model run in this one.
    prepare: createPrepWorkerClient(),
    configureRuntime: configureBrowserRuntime,
    corrupt: (img, spec) => corrupt(img, { ...spec, kind: spec.kind as Corruption }),
  }),
);

expose(api);
export type EmbedApi = typeof api;
