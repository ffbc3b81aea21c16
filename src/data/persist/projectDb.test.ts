import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { closeProjectDb, deleteProjectRecord, loadProjectRecord, saveProjectRecord } from './projectDb.ts';

describe('project autosave (IndexedDB)', () => {
  it('writes a new record, then switches the pointer; the replaced record is dropped', async () => {
    await saveProjectRecord('p', { version: 2, savedAt: 1, payload: { W: Float32Array.from([1, 2]) } });
    await saveProjectRecord('p', { version: 2, savedAt: 2, payload: { W: Float32Array.from([3, 4]) } });
    const r = await loadProjectRecord('p');
    expect(r?.savedAt).toBe(2);
    expect((r?.payload as { W: Float32Array }).W).toEqual(Float32Array.from([3, 4]));
    const d = await openDB('concept-studio-projects');
    expect(await d.getAllKeys('projects')).toHaveLength(1);
    d.close();
  });

  it('a save that fails before the pointer switch leaves the last complete record in place', async () => {
    await saveProjectRecord('q', { version: 2, savedAt: 1, payload: 'good' });
    // A payload structured clone cannot store (a function) fails the record write itself.
    await expect(saveProjectRecord('q', { version: 2, savedAt: 2, payload: () => 0 })).rejects.toThrow();
    expect((await loadProjectRecord('q'))?.payload).toBe('good');
    // Later saves still go through (the failed one did not jam the queue).
    await saveProjectRecord('q', { version: 2, savedAt: 3, payload: 'newer' });
    expect((await loadProjectRecord('q'))?.payload).toBe('newer');
  });

  it('saves issued together land in order: the newest one wins', async () => {
    await Promise.all([1, 2, 3, 4].map((k) => saveProjectRecord('r', { version: 2, savedAt: k, payload: k })));
    expect((await loadProjectRecord('r'))?.payload).toBe(4);
    await deleteProjectRecord('r');
    expect(await loadProjectRecord('r')).toBeNull();
    closeProjectDb();
  });
});
