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
/** Version 1 stored records directly under the project id; version 2 adds the pointer store. */
const DB_VERSION = 2;
const RECORDS = 'projects';
const POINTERS = 'pointers';

export interface StoredRecord {
  /** Shape version of `payload`, checked by the reader before use. */
  version: number;
  savedAt: number;
  payload: unknown;
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
  if (typeof v === 'string') return { id, key: v, gen: 0, name: id, savedAt: 0, bytes: 0 };
  if (typeof v !== 'object') return null;
  const e = v as Partial<ProjectEntry>;
  return {
    id,
    key: typeof e.key === 'string' ? e.key : null,
    gen: typeof e.gen === 'number' ? e.gen : 0,
    name: typeof e.name === 'string' ? e.name : id,
    savedAt: typeof e.savedAt === 'number' ? e.savedAt : 0,
    bytes: typeof e.bytes === 'number' ? e.bytes : 0,
  };
}
const stored = (e: ProjectEntry) => ({ key: e.key, gen: e.gen, name: e.name, savedAt: e.savedAt, bytes: e.bytes });

let seq = 0;
const recordKey = (id: string) => `${id}@${Date.now().toString(36)}.${(++seq).toString(36)}`;

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
}

export function saveProjectRecord(id: string, record: StoredRecord, opts: SaveOptions = {}): Promise<void> {
  return queued(() => writeAndSwitch(id, record, opts));
}

async function writeAndSwitch(id: string, record: StoredRecord, opts: SaveOptions): Promise<void> {
  const d = await db();
  const key = recordKey(id);
  // 1. The new record, in its own transaction: until it commits, nothing points at it.
  await d.put(RECORDS, record, key);
  // 2. Check the writer's generation, switch the pointer and drop the replaced record, atomically.
  try {
    const tx = d.transaction([RECORDS, POINTERS], 'readwrite');
    const old = entryOf(id, await tx.objectStore(POINTERS).get(id));
    if (opts.gen !== undefined && (old?.gen ?? 0) !== opts.gen) {
      await tx.objectStore(RECORDS).delete(key);
      await tx.done;
      throw new StaleWriterError(id, opts.gen, old?.gen ?? 0);
    }
    const next: ProjectEntry = {
      id, key, gen: old?.gen ?? 0, name: opts.name ?? old?.name ?? id, savedAt: record.savedAt, bytes: opts.bytes ?? old?.bytes ?? 0,
    };
    await tx.objectStore(POINTERS).put(stored(next), id);
    if (old?.key && old.key !== key) await tx.objectStore(RECORDS).delete(old.key);
    await tx.done;
  } catch (e) {
    // The switch failed (quota, a refused generation): the new record must not linger unreferenced.
    if (!(e instanceof StaleWriterError)) await d.delete(RECORDS, key).catch(() => undefined);
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
    const next: ProjectEntry = old ? { ...old, gen: old.gen + 1 } : { id, key: null, gen: 1, name: id, savedAt: 0, bytes: 0 };
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
  return r && typeof r === 'object' && typeof r.version === 'number' ? r : null;
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
  const tx = d.transaction([RECORDS, POINTERS], 'readwrite');
  const e = entryOf(id, await tx.objectStore(POINTERS).get(id));
  if (e?.key) await tx.objectStore(RECORDS).delete(e.key);
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
  const tx = d.transaction([RECORDS, POINTERS], 'readwrite');
  const ptrKeys = await tx.objectStore(POINTERS).getAllKeys();
  const ptrs = await tx.objectStore(POINTERS).getAll();
  const live = new Set<string>();
  ptrKeys.forEach((k, i) => {
    const e = entryOf(String(k), ptrs[i]);
    if (e?.key) live.add(e.key);
  });
  const now = Date.now();
  let n = 0;
  for (const k of await tx.objectStore(RECORDS).getAllKeys()) {
    const key = String(k);
    const m = /@([0-9a-z]+)\.[0-9a-z]+$/.exec(key);
    if (!m || live.has(key)) continue; // v1 records (no '@') are read through their id
    if (now - parseInt(m[1], 36) < olderThanMs) continue;
    await tx.objectStore(RECORDS).delete(key);
    n++;
  }
  await tx.done;
  return n;
}

/** Forget the open connection (tests reopen a fresh fake database). */
export function closeProjectDb(): void {
  void dbp?.then((d) => d.close());
  dbp = null;
}
