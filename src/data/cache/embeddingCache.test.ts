import 'fake-indexeddb/auto';
import { describe, it, expect } from 'vitest';
import { openEmbeddingCache, memoryEmbeddingCache, cacheKey, regionKey, sha256Hex } from './index.ts';

describe('embedding cache', () => {
  it('hashes content with SHA-256', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('keys by model, dtype, regions and hash', () => {
    expect(cacheKey({ model: 'm', dtype: 'q8', regions: regionKey(2, true), hash: 'ab' })).toBe('m|q8|g2p|ab');
  });

  for (const [name, open] of [['IndexedDB', () => openEmbeddingCache(`t-${Math.random()}`)], ['memory', async () => memoryEmbeddingCache()]] as const) {
    it(`${name}: stores, finds, misses, survives reopening`, async () => {
      const c = await open();
      const v = Float32Array.of(1, 2, 3);
      await c.putMany([{ key: 'a', data: v }]);
      v[0] = 99; // the cache kept its own copy
      const [a, b] = await c.getMany(['a', 'b']);
      expect(Array.from(a!)).toEqual([1, 2, 3]);
      expect(b).toBeUndefined();
      expect(await c.count()).toBe(1);
      await c.clear();
      expect(await c.count()).toBe(0);
      c.close();
    });
  }

  it('IndexedDB persists across connections', async () => {
    const name = `persist-${Math.random()}`;
    const c1 = await openEmbeddingCache(name);
    await c1.putMany([{ key: 'k', data: Float32Array.of(0.5) }]);
    c1.close();
    const c2 = await openEmbeddingCache(name);
    expect(Array.from((await c2.getMany(['k']))[0]!)).toEqual([0.5]);
    c2.close();
  });
});
