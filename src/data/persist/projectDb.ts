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

let dbp: Promise<IDBPDatabase> | null = null;
function db(): Promise<IDBPDatabase> {
  dbp ??= openDB(DB, DB_VERSION, {
    upgrade(d) {
      if (!d.objectStoreNames.contains(RECORDS)) d.createObjectStore(RECORDS);
      if (!d.objectStoreNames.contains(POINTERS)) d.createObjectStore(POINTERS);
    },
  });
  return dbp;
}

let seq = 0;
const recordKey = (id: string) => `${id}@${Date.now().toString(36)}.${(++seq).toString(36)}`;

/** Saves run one after another, so an older save can never switch the pointer after a newer one. */
let chain: Promise<unknown> = Promise.resolve();

export function saveProjectRecord(id: string, record: StoredRecord): Promise<void> {
  const run = chain.then(() => writeAndSwitch(id, record));
  chain = run.catch(() => undefined);
  return run;
}

async function writeAndSwitch(id: string, record: StoredRecord): Promise<void> {
  const d = await db();
  const key = recordKey(id);
  // 1. The new record, in its own transaction: until it commits, nothing points at it.
  await d.put(RECORDS, record, key);
  // 2. Switch the pointer and drop the replaced record, atomically.
  const tx = d.transaction([RECORDS, POINTERS], 'readwrite');
  const old = (await tx.objectStore(POINTERS).get(id)) as string | undefined;
  await tx.objectStore(POINTERS).put(key, id);
  if (old && old !== key) await tx.objectStore(RECORDS).delete(old);
  await tx.done;
}

export async function loadProjectRecord(id: string): Promise<StoredRecord | null> {
  const d = await db();
  const key = ((await d.get(POINTERS, id)) as string | undefined) ?? id; // a v1 database stored the record under the id
  const r = (await d.get(RECORDS, key)) as StoredRecord | undefined;
  return r && typeof r === 'object' && typeof r.version === 'number' ? r : null;
}

export async function deleteProjectRecord(id: string): Promise<void> {
  const d = await db();
  const tx = d.transaction([RECORDS, POINTERS], 'readwrite');
  const key = (await tx.objectStore(POINTERS).get(id)) as string | undefined;
  if (key) await tx.objectStore(RECORDS).delete(key);
  await tx.objectStore(RECORDS).delete(id);
  await tx.objectStore(POINTERS).delete(id);
  await tx.done;
}

/** Forget the open connection (tests reopen a fresh fake database). */
export function closeProjectDb(): void {
  void dbp?.then((d) => d.close());
  dbp = null;
}
