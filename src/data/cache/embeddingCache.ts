/**
 * Image-embedding cache in IndexedDB (idb), so reopening a project embeds only new images and an
 * interrupted run resumes: each batch is stored as soon as it is embedded.
 *
 * Key = model id | dtype | region setting | SHA-256 of the file bytes. dtype is part of the key
 * because q8, fp16 and fp32 embeddings differ slightly; the device is not (WASM and WebGPU at
 * the same dtype agree to float rounding). The content hash, not the file name, identifies an
 * image: renamed files hit, edited files miss.
 */
import { openDB, type IDBPDatabase } from 'idb';

export interface CacheKeyParts {
  model: string;
  dtype: string;
  /** Region setting, e.g. "g1", "g2", "g3p" (grid size, p = pad-to-square). */
  regions: string;
  /** Hex SHA-256 of the image file. */
  hash: string;
}

export function cacheKey(k: CacheKeyParts): string {
  return `${k.model}|${k.dtype}|${k.regions}|${k.hash}`;
}

export function regionKey(grid: number, pad = false): string {
  return `g${grid}${pad ? 'p' : ''}`;
}

/** Hex SHA-256 via Web Crypto (present in browsers, workers and Node ≥ 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface EmbeddingCache {
  /** Cached R×D embeddings per key (undefined = miss), in the order asked. */
  getMany(keys: string[]): Promise<(Float32Array | undefined)[]>;
  putMany(entries: { key: string; data: Float32Array }[]): Promise<void>;
  count(): Promise<number>;
  clear(): Promise<void>;
  close(): void;
}

const STORE = 'embeddings';

interface Row {
  key: string;
  data: ArrayBuffer;
  savedAt: number;
}

export async function openEmbeddingCache(name = 'concept-studio-embeddings'): Promise<EmbeddingCache> {
  const db: IDBPDatabase = await openDB(name, 1, {
    upgrade(d) {
      d.createObjectStore(STORE, { keyPath: 'key' });
    },
  });
  return {
    async getMany(keys) {
      const tx = db.transaction(STORE, 'readonly');
      const rows = (await Promise.all(keys.map((k) => tx.store.get(k)))) as (Row | undefined)[];
      await tx.done;
      return rows.map((r) => (r ? new Float32Array(r.data) : undefined));
    },
    async putMany(entries) {
      if (entries.length === 0) return;
      const tx = db.transaction(STORE, 'readwrite');
      const now = Date.now();
      // Copy: the caller may transfer or reuse its buffer after this returns.
      await Promise.all(entries.map((e) => tx.store.put({ key: e.key, data: e.data.slice().buffer, savedAt: now } satisfies Row)));
      await tx.done;
    },
    count: () => db.count(STORE),
    clear: () => db.clear(STORE),
    close: () => db.close(),
  };
}

/** Same interface in memory: for Node, tests, and when IndexedDB is unavailable (private mode). */
export function memoryEmbeddingCache(): EmbeddingCache {
  const m = new Map<string, Float32Array>();
  return {
    async getMany(keys) {
      return keys.map((k) => m.get(k)?.slice());
    },
    async putMany(entries) {
      for (const e of entries) m.set(e.key, e.data.slice());
    },
    async count() {
      return m.size;
    },
    async clear() {
      m.clear();
    },
    close() {},
  };
}
