/**
 * Every answer an HTTP teacher gave, in IndexedDB, keyed by (teacher, image content hash), so a
 * reload, a cancelled run or a failed one never asks for an image twice and never loses an
 * answer already paid for (METHODS.md §8). Each answer is written the moment it arrives.
 *
 * The teacher key is the SHA-256 of core's endpointIdentity (address + how answers are read +
 * the classes), never of the headers: a renewed API key keeps its cache. The last form
 * settings are kept too, WITHOUT header values (secrets stay in the tab that typed them).
 */
import { openDB, type IDBPDatabase } from 'idb';

const DB = 'concept-studio-teacher-answers';
const ANSWERS = 'answers';
const SETTINGS = 'settings';

export interface StoredAnswer {
  probs: Float32Array;
  labelOnly: boolean;
  at: number;
}

let dbp: Promise<IDBPDatabase> | null = null;
function db(): Promise<IDBPDatabase> {
  dbp ??= openDB(DB, 1, {
    upgrade(d) {
      d.createObjectStore(ANSWERS);
      d.createObjectStore(SETTINGS);
    },
  });
  return dbp;
}

const key = (teacher: string, image: string) => `${teacher}|${image}`;

export async function putAnswer(teacher: string, imageHash: string, a: StoredAnswer): Promise<void> {
  await (await db()).put(ANSWERS, { probs: a.probs.slice(), labelOnly: a.labelOnly, at: a.at }, key(teacher, imageHash));
}

/** The stored answers of one teacher for the given image hashes (missing ones are absent). */
export async function getAnswers(teacher: string, imageHashes: readonly string[]): Promise<Map<string, StoredAnswer>> {
  const d = await db();
  const tx = d.transaction(ANSWERS, 'readonly');
  const out = new Map<string, StoredAnswer>();
  await Promise.all(
    imageHashes.map(async (h) => {
      const v = (await tx.store.get(key(teacher, h))) as StoredAnswer | undefined;
      if (v && v.probs instanceof Float32Array && typeof v.labelOnly === 'boolean') out.set(h, v);
    }),
  );
  await tx.done;
  return out;
}

/** Forget every answer of one teacher (the user asked to start over). */
export async function clearAnswers(teacher: string): Promise<number> {
  const d = await db();
  const tx = d.transaction(ANSWERS, 'readwrite');
  let n = 0;
  for await (const cur of tx.store.iterate(IDBKeyRange.bound(`${teacher}|`, `${teacher}|\uffff`))) {
    await cur.delete();
    n++;
  }
  await tx.done;
  return n;
}

export async function saveTeacherSettings(value: unknown): Promise<void> {
  await (await db()).put(SETTINGS, value, 'last');
}

export async function loadTeacherSettings(): Promise<unknown> {
  return (await db()).get(SETTINGS, 'last');
}

/** For tests: close the connection so the database can be deleted. */
export async function closeAnswerDb(): Promise<void> {
  if (dbp) (await dbp).close();
  dbp = null;
}
