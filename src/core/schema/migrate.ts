/**
 * Migrations between export versions (STYLE.md habit 8): `migrations[v]` turns a version-v
 * document into a version-(v+1) one. Reading a file runs the chain up to the current version,
 * so the studio reads every version it ever wrote as long as each step stays in this table.
 * Only version 1 exists so far, so the table is empty; the chain is tested with a fake v0.
 */

import { CURRENT_VERSION } from './exportV1.ts';

/** A raw JSON object as read from a file (before validation). */
export type RawDoc = Record<string, unknown>;

/** One step: a version-v document → a version-(v+1) document (pure; must set `version`). */
export type Migration = (doc: RawDoc) => RawDoc;

export type MigrationTable = Readonly<Record<number, Migration>>;

export const MIGRATIONS: MigrationTable = {};

/** The oldest version readable with `table` (the chain must be unbroken up to `current`). */
export function oldestReadableVersion(table: MigrationTable = MIGRATIONS, current = CURRENT_VERSION): number {
  let v = current;
  while (table[v - 1]) v--;
  return v;
}

export type MigrateResult = { ok: true; doc: RawDoc } | { ok: false; error: string };

/** Run the chain from `doc.version` to `current`; a step that throws or mislabels is an error. */
export function migrate(doc: RawDoc, table: MigrationTable = MIGRATIONS, current = CURRENT_VERSION): MigrateResult {
  const oldest = oldestReadableVersion(table, current);
  const v = doc.version;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    return { ok: false, error: `version: expected a whole number, got ${JSON.stringify(v) ?? 'nothing'}` };
  }
  if (v < oldest || v > current) {
    const newer = v > current ? ' (written by a newer studio; please update)' : '';
    return { ok: false, error: `unknown version ${v}: this studio reads versions ${oldest}–${current}${newer}` };
  }
  let d = doc;
  for (let from = v; from < current; from++) {
    try {
      d = table[from](d);
    } catch (e) {
      return { ok: false, error: `could not upgrade the file from version ${from} to ${from + 1}: ${(e as Error).message}` };
    }
    if (d.version !== from + 1) return { ok: false, error: `migration from version ${from} did not produce version ${from + 1}` };
  }
  return { ok: true, doc: d };
}
