/**
 * Project autosave in IndexedDB. Records are structured-cloned, so Float32Arrays (weights,
 * activations) are stored as binary, not JSON. The record's shape is owned by the state layer,
 * which versions and validates it; this module only stores and fetches it.
 */
import { openDB, type IDBPDatabase } from 'idb';

const DB = 'concept-studio-projects';
const STORE = 'projects';

export interface StoredRecord {
  /** Shape version of `payload`, checked by the reader before use. */
  version: number;
  savedAt: number;
  payload: unknown;
}

let dbp: Promise<IDBPDatabase> | null = null;
function db(): Promise<IDBPDatabase> {
  dbp ??= openDB(DB, 1, {
    upgrade(d) {
      if (!d.objectStoreNames.contains(STORE)) d.createObjectStore(STORE);
    },
  });
  return dbp;
}

export async function saveProjectRecord(id: string, record: StoredRecord): Promise<void> {
  await (await db()).put(STORE, record, id);
}

export async function loadProjectRecord(id: string): Promise<StoredRecord | null> {
  const r = (await (await db()).get(STORE, id)) as StoredRecord | undefined;
  return r && typeof r === 'object' && typeof r.version === 'number' ? r : null;
}

export async function deleteProjectRecord(id: string): Promise<void> {
  await (await db()).delete(STORE, id);
}
