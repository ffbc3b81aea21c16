/**
 * Project autosave in IndexedDB. Records are structured-cloned, so Float32Arrays (weights,
 * activations, the provenance tree's snapshots) are stored as binary, not JSON. The record's
 * shape is owned by the state layer, which versions and validates it; this module only stores
 * and fetches it.
 *
 * Saves are transactional: each save writes a NEW record under a fresh key, and only once that
 * write has committed does a second transaction switch the project's pointer to it (and drop
 * the record it replaces). A crash or quota error mid-save leaves the pointer on the last
 * complete record, never on a half-written one.
 *
 * Writers are fenced by a generation: a tab that becomes a project's writer `claimProject`s it
 * (the pointer's generation goes up by one), and every save it makes names that generation. A
 * save from a tab whose claim has been superseded (another tab took over) is refused inside the
 * switching transaction, so two tabs can never silently overwrite each other, with or without
 * the Web Locks API.
 */
import { openDB, type IDBPDatabase } from 'idb';

const DB = 'concept-studio-projects';
/** Version 1 stored records directly under the project id; 2 adds the pointer store; 3 the parts store. */
const DB_VERSION = 3;
const RECORDS = 'projects';
const POINTERS = 'pointers';
/** Large parts of a payload that rarely change (a project's dataset arrays), stored once per version. */
const PARTS = 'parts';

export interface StoredRecord {
  /** Shape version of `payload`, checked by the reader before use. */
  version: number;
  savedAt: number;
  payload: unknown;
  /** Payload fields stored separately (field → part key); the reader puts them back. */
  parts?: Record<string, string>;
}

/** What the pointer store holds per project (older builds stored the record key as a bare string). */
export interface ProjectEntry {
  id: string;
  /** Key of the current complete record; null before the first save. */
  key: string | null;
  /** Writer generation: raised by every claim; a save must name the current one. */
  gen: number;
  name: string;
  savedAt: number;
  /** Approximate size of the saved record in bytes (typed arrays exactly, the rest estimated). */
  bytes: number;
  /** Part keys the current record refers to. */
  partKeys: string[];
}

/** A save refused because another tab has claimed the project since this tab did. */
export class StaleWriterError extends Error {
  constructor(readonly id: string, readonly expected: number, readonly found: number) {
    super(`project ${id} was taken over by another tab (generation ${found}, this tab holds ${expected}); this save was not written`);
    this.name = 'StaleWriterError';
  }
}

let dbp: Promise<IDBPDatabase> | null = null;
function db(): Promise<IDBPDatabase> {
  dbp ??= openDB(DB, DB_VERSION, {
    upgrade(d) {
      if (!d.objectStoreNames.contains(RECORDS)) d.createObjectStore(RECORDS);
      if (!d.objectStoreNames.contains(POINTERS)) d.createObjectStore(POINTERS);
      if (!d.objectStoreNames.contains(PARTS)) d.createObjectStore(PARTS);
    },
    // A newer build in another tab wants to upgrade: let it (this tab reopens on its next call).
    blocking() {
      void dbp?.then((d) => d.close());
      dbp = null;
    },
  });
  return dbp;
}

function entryOf(id: string, v: unknown): ProjectEntry | null {
  if (v == null) return null;
  if (typeof v === 'string') return { id, key: v, gen: 0, name: id, savedAt: 0, bytes: 0, partKeys: [] };
  if (typeof v !== 'object') return null;
  const e = v as Partial<ProjectEntry>;
  return {
    id,
    key: typeof e.key === 'string' ? e.key : null,
    gen: typeof e.gen === 'number' ? e.gen : 0,
    name: typeof e.name === 'string' ? e.name : id,
    savedAt: typeof e.savedAt === 'number' ? e.savedAt : 0,
    bytes: typeof e.bytes === 'number' ? e.bytes : 0,
    partKeys: Array.isArray(e.partKeys) ? e.partKeys.filter((k): k is string => typeof k === 'string') : [],
  };
}
const stored = (e: ProjectEntry) => ({ key: e.key, gen: e.gen, name: e.name, savedAt: e.savedAt, bytes: e.bytes, partKeys: e.partKeys });

let seq = 0;
const recordKey = (id: string) => `${id}@${Date.now().toString(36)}.${(++seq).toString(36)}`;
/** A key for a new part of project `id` (`name`: which field); swept like records if a crash orphans it. */
export const partKey = (id: string, name: string) => `${id}#${name}@${Date.now().toString(36)}.${(++seq).toString(36)}`;

/** Saves run one after another, so an older save can never switch the pointer after a newer one. */
let chain: Promise<unknown> = Promise.resolve();
function queued<T>(fn: () => Promise<T>): Promise<T> {
  const run = chain.then(fn);
  chain = run.catch(() => undefined);
  return run;
}

export interface SaveOptions {
  /** The generation this tab claimed; absent = unfenced (tests, single-writer tools). */
  gen?: number;
  /** Shown in the saved-projects list. */
  name?: string;
  bytes?: number;
  /**
   * Payload fields to store apart, each under a key that names its content (the caller makes a
   * new key when the value changes): a part already stored is not written again, so saving a
   * tuning step does not rewrite megabytes of dataset arrays.
   */
  parts?: Record<string, { key: string; value: unknown }>;
}

export function saveProjectRecord(id: string, record: StoredRecord, opts: SaveOptions = {}): Promise<void> {
  return queued(() => writeAndSwitch(id, record, opts));
}

async function writeAndSwitch(id: string, record: StoredRecord, opts: SaveOptions): Promise<void> {
  const d = await db();
  const key = recordKey(id);
  const parts = Object.entries(opts.parts ?? {});
  const partKeys = parts.map(([, p]) => p.key);
  const rec: StoredRecord = parts.length
    ? { ...record, payload: { ...(record.payload as object), ...Object.fromEntries(parts.map(([f]) => [f, null])) }, parts: Object.fromEntries(parts.map(([f, p]) => [f, p.key])) }
    : record;
  // 1. The new record and any new part, in one transaction: until it commits, nothing points at them.
  const added: string[] = [];
  {
    const tx = d.transaction([RECORDS, PARTS], 'readwrite');
    for (const [, p] of parts) {
      if ((await tx.objectStore(PARTS).getKey(p.key)) === undefined) {
        await tx.objectStore(PARTS).put(p.value, p.key);
        added.push(p.key);
      }
    }
    await tx.objectStore(RECORDS).put(rec, key);
    await tx.done;
  }
  // 2. Check the writer's generation, switch the pointer and drop the replaced record (and parts
  //    only it used), atomically.
  try {
    const tx = d.transaction([RECORDS, POINTERS, PARTS], 'readwrite');
    const old = entryOf(id, await tx.objectStore(POINTERS).get(id));
    if (opts.gen !== undefined && (old?.gen ?? 0) !== opts.gen) {
      await tx.objectStore(RECORDS).delete(key);
      for (const k of added) await tx.objectStore(PARTS).delete(k);
      await tx.done;
      throw new StaleWriterError(id, opts.gen, old?.gen ?? 0);
    }
    const next: ProjectEntry = {
      id, key, gen: old?.gen ?? 0, name: opts.name ?? old?.name ?? id, savedAt: record.savedAt, bytes: opts.bytes ?? old?.bytes ?? 0, partKeys,
    };
    await tx.objectStore(POINTERS).put(stored(next), id);
    if (old?.key && old.key !== key) await tx.objectStore(RECORDS).delete(old.key);
    for (const k of old?.partKeys ?? []) if (!partKeys.includes(k)) await tx.objectStore(PARTS).delete(k);
    await tx.done;
  } catch (e) {
    // The switch failed (quota, a refused generation): the new record must not linger unreferenced.
    if (!(e instanceof StaleWriterError)) {
      await d.delete(RECORDS, key).catch(() => undefined);
      for (const k of added) await d.delete(PARTS, k).catch(() => undefined);
    }
    throw e;
  }
}

/**
 * Become the project's writer: raise its generation and return it. Saves made with an older
 * generation (another tab's) are refused from now on.
 */
export function claimProject(id: string): Promise<number> {
  return queued(async () => {
    const d = await db();
    const tx = d.transaction(POINTERS, 'readwrite');
    const old = entryOf(id, await tx.store.get(id));
    const next: ProjectEntry = old ? { ...old, gen: old.gen + 1 } : { id, key: null, gen: 1, name: id, savedAt: 0, bytes: 0, partKeys: [] };
    await tx.store.put(stored(next), id);
    await tx.done;
    return next.gen;
  });
}

/** The project's pointer entry (generation, name, size), or null if it was never saved or claimed. */
export async function projectEntry(id: string): Promise<ProjectEntry | null> {
  const d = await db();
  return entryOf(id, await d.get(POINTERS, id));
}

export async function loadProjectRecord(id: string): Promise<StoredRecord | null> {
  const d = await db();
  const ptr = await d.get(POINTERS, id);
  const key = ptr === undefined ? id : entryOf(id, ptr)?.key; // a v1 database stored the record under the id
  if (!key) return null;
  const r = (await d.get(RECORDS, key)) as StoredRecord | undefined;
  if (!r || typeof r !== 'object' || typeof r.version !== 'number') return null;
  if (!r.parts || typeof r.parts !== 'object') return r;
  // Put the separately stored parts back; a missing part leaves the field null (the reader refuses it by name).
  const payload = { ...(r.payload as object) } as Record<string, unknown>;
  for (const [field, pk] of Object.entries(r.parts)) payload[field] = typeof pk === 'string' ? ((await d.get(PARTS, pk)) ?? null) : null;
  return { version: r.version, savedAt: r.savedAt, payload };
}

/** Every project with a complete save, newest first. */
export async function listProjects(): Promise<ProjectEntry[]> {
  const d = await db();
  const tx = d.transaction(POINTERS, 'readonly');
  const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
  await tx.done;
  const out: ProjectEntry[] = [];
  keys.forEach((k, i) => {
    const e = entryOf(String(k), values[i]);
    if (e?.key) out.push(e);
  });
  return out.sort((a, b) => b.savedAt - a.savedAt);
}

export async function deleteProjectRecord(id: string): Promise<void> {
  const d = await db();
  const tx = d.transaction([RECORDS, POINTERS, PARTS], 'readwrite');
  const e = entryOf(id, await tx.objectStore(POINTERS).get(id));
  if (e?.key) await tx.objectStore(RECORDS).delete(e.key);
  for (const k of e?.partKeys ?? []) await tx.objectStore(PARTS).delete(k);
  await tx.objectStore(RECORDS).delete(id);
  await tx.objectStore(POINTERS).delete(id);
  await tx.done;
}

/**
 * Delete records no pointer refers to (left by a crash between a save's two steps) and return
 * how many went. Records of a save still in flight in another tab are younger than `olderThanMs`
 * and kept.
 */
export async function sweepOrphans(olderThanMs = 60_000): Promise<number> {
  const d = await db();
  const tx = d.transaction([RECORDS, POINTERS, PARTS], 'readwrite');
  const ptrKeys = await tx.objectStore(POINTERS).getAllKeys();
  const ptrs = await tx.objectStore(POINTERS).getAll();
  const live = new Set<string>();
  ptrKeys.forEach((k, i) => {
    const e = entryOf(String(k), ptrs[i]);
    if (e?.key) live.add(e.key);
    for (const p of e?.partKeys ?? []) live.add(p);
  });
  const now = Date.now();
  let n = 0;
  for (const store of [RECORDS, PARTS]) {
    for (const k of await tx.objectStore(store).getAllKeys()) {
      const key = String(k);
      const m = /@([0-9a-z]+)\.[0-9a-z]+$/.exec(key);
      if (!m || live.has(key)) continue; // v1 records (no '@') are read through their id
      if (now - parseInt(m[1], 36) < olderThanMs) continue;
      await tx.objectStore(store).delete(key);
      n++;
    }
  }
  await tx.done;
  return n;
}

/** Forget the open connection (tests reopen a fresh fake database). */
export function closeProjectDb(): void {
  void dbp?.then((d) => d.close());
  dbp = null;
}
