// Node worker-thread twin of embed.worker.ts, for tests and the CLI: same API, Node's message
// port, sharp for WebP, an in-memory cache (the CLI keeps its own resumable files).
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createEmbedApi, withTransfers } from '../../src/workers/embedApi.ts';
import { decodeImage, setPlatformDecoder, thumbnail, encodeJpeg } from '../../src/data/images/index.ts';
import { memoryEmbeddingCache, cacheKey, sha256Hex } from '../../src/data/cache/index.ts';
import { sharpDecoder } from './embedSharp.ts';

setPlatformDecoder(sharpDecoder);
const cache = memoryEmbeddingCache();
expose(withTransfers(createEmbedApi({ decode: (b, n) => decodeImage(b, n), hash: sha256Hex, openCache: async () => cache, cacheKey, thumbnail: (img, side) => encodeJpeg(thumbnail(img, side)) })), nodeEndpoint(parentPort!));
