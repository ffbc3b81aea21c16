export { openEmbeddingCache, memoryEmbeddingCache, cacheKey, regionKey, sha256Hex } from './embeddingCache.ts';
export type { EmbeddingCache, CacheKeyParts } from './embeddingCache.ts';
