import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { openDB } from 'idb';
import {
  claimProject, closeProjectDb, deleteProjectRecord, listProjects, loadProjectRecord, partKey, projectEntry, saveProjectRecord, StaleWriterError, sweepOrphans,
} from './projectDb.ts';
import { isQuotaError } from './quota.ts';

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

describe('writer generations, the project list, full disks and crash leftovers', () => {
  it('a save from a tab whose claim was superseded is refused and overwrites nothing', async () => {
    const g1 = await claimProject('two'); // tab A
    await saveProjectRecord('two', { version: 2, savedAt: 1, payload: 'A1' }, { gen: g1, name: 'Two', bytes: 10 });
    const g2 = await claimProject('two'); // tab B takes over
    expect(g2).toBe(g1 + 1);
    await saveProjectRecord('two', { version: 2, savedAt: 2, payload: 'B1' }, { gen: g2 });
    const err = await saveProjectRecord('two', { version: 2, savedAt: 3, payload: 'A2' }, { gen: g1 }).catch((e) => e);
    expect(err).toBeInstanceOf(StaleWriterError);
    expect((await loadProjectRecord('two'))?.payload).toBe('B1');
    // The refused record does not linger.
    const d = await openDB('concept-studio-projects');
    const keys = (await d.getAllKeys('projects')).map(String).filter((k) => k.startsWith('two@'));
    d.close();
    expect(keys).toHaveLength(1);
    const e = await projectEntry('two');
    expect(e).toMatchObject({ gen: g2, name: 'Two', savedAt: 2, bytes: 10 });
  });

  it('lists saved projects newest first with name and size; claimed-but-never-saved ones are not listed', async () => {
    await saveProjectRecord('old', { version: 2, savedAt: 100, payload: 1 }, { name: 'Old one', bytes: 2048 });
    await saveProjectRecord('new', { version: 2, savedAt: 200, payload: 2 }, { name: 'New one', bytes: 4096 });
    await claimProject('empty');
    const list = (await listProjects()).filter((p) => ['old', 'new', 'empty'].includes(p.id));
    expect(list.map((p) => [p.id, p.name, p.bytes])).toEqual([['new', 'New one', 4096], ['old', 'Old one', 2048]]);
    await deleteProjectRecord('old');
    expect((await listProjects()).some((p) => p.id === 'old')).toBe(false);
  });

  it('a QuotaExceededError during a save keeps the last good save, and the error is recognisable', async () => {
    await saveProjectRecord('full', { version: 2, savedAt: 1, payload: 'good' }, { name: 'Full' });
    const put = IDBObjectStore.prototype.put;
    // What Chromium/Safari report when the origin's quota is used up.
    IDBObjectStore.prototype.put = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
    try {
      const err = await saveProjectRecord('full', { version: 2, savedAt: 2, payload: 'x'.repeat(1000) }).catch((e) => e);
      expect(isQuotaError(err)).toBe(true);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect((await loadProjectRecord('full'))?.payload).toBe('good');
    // Full at the second step (the pointer switch): the new record is written but must not stay.
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'pointers') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      expect(isQuotaError(await saveProjectRecord('full', { version: 2, savedAt: 2, payload: 'half' }).catch((e) => e))).toBe(true);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect((await loadProjectRecord('full'))?.payload).toBe('good');
    const d = await openDB('concept-studio-projects');
    const mine = (await d.getAllKeys('projects')).map(String).filter((k) => k.startsWith('full@'));
    d.close();
    expect(mine).toHaveLength(1);
    await saveProjectRecord('full', { version: 2, savedAt: 3, payload: 'after' });
    expect((await loadProjectRecord('full'))?.payload).toBe('after');
  });

  it('recognises the quota errors of each engine, and nothing else', () => {
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
    expect(isQuotaError({ name: 'UnknownError', message: 'Encountered full disk while opening backing store' })).toBe(false);
    expect(isQuotaError({ name: 'UnknownError', message: 'Quota exceeded for origin' })).toBe(true);
    expect(isQuotaError(new DOMException('x', 'AbortError'))).toBe(false);
    expect(isQuotaError(new TypeError('x is not a function'))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
  });

  it('sweeps records a crash left between the two steps of a save, never a live one', async () => {
    await saveProjectRecord('live', { version: 2, savedAt: 1, payload: 'ok' });
    const d = await openDB('concept-studio-projects');
    const stale = `live@${(Date.now() - 120_000).toString(36)}.zz`;
    await d.put('projects', { version: 2, savedAt: 0, payload: 'half' }, stale);
    const fresh = `live@${Date.now().toString(36)}.zy`; // a save in flight in another tab
    await d.put('projects', { version: 2, savedAt: 0, payload: 'inflight' }, fresh);
    expect(await sweepOrphans()).toBeGreaterThanOrEqual(1);
    const keys = (await d.getAllKeys('projects')).map(String);
    d.close();
    expect(keys).not.toContain(stale);
    expect(keys).toContain(fresh);
    expect((await loadProjectRecord('live'))?.payload).toBe('ok');
  });
});

describe('large parts stored once', () => {
  it('a part is written once per key, comes back on load, and goes when no record uses it', async () => {
    const ds1 = { name: 'ds', ahat: Float32Array.from([1, 2, 3]) };
    const k1 = partKey('parts', 'dataset');
    const put = vi.spyOn(IDBObjectStore.prototype, 'put');
    await saveProjectRecord('parts', { version: 2, savedAt: 1, payload: { step: 1, dataset: ds1 } }, { parts: { dataset: { key: k1, value: ds1 } } });
    const writes = () => put.mock.contexts.filter((c) => (c as IDBObjectStore).name === 'parts').length;
    expect(writes()).toBe(1);
    await saveProjectRecord('parts', { version: 2, savedAt: 2, payload: { step: 2, dataset: ds1 } }, { parts: { dataset: { key: k1, value: ds1 } } });
    expect(writes()).toBe(1); // the second step did not rewrite the dataset
    put.mockRestore();
    const r = await loadProjectRecord('parts');
    expect(r?.payload).toEqual({ step: 2, dataset: ds1 });
    const d = await openDB('concept-studio-projects');
    const rec = (await d.getAll('projects')).find((x) => (x as { payload: { step?: number } }).payload.step === 2) as { payload: { dataset: unknown } };
    expect(rec.payload.dataset).toBeNull(); // the record itself holds only the key
    // A new dataset version replaces the old part.
    const ds2 = { name: 'ds', ahat: Float32Array.from([4]) };
    const k2 = partKey('parts', 'dataset');
    await saveProjectRecord('parts', { version: 2, savedAt: 3, payload: { step: 3, dataset: ds2 } }, { parts: { dataset: { key: k2, value: ds2 } } });
    expect((await d.getAllKeys('parts')).map(String).filter((k) => k.startsWith('parts#'))).toEqual([k2]);
    expect((await loadProjectRecord('parts'))?.payload).toEqual({ step: 3, dataset: ds2 });
    // A refused (stale) save leaves no part behind; deleting the project deletes its parts.
    const g = await claimProject('parts');
    await claimProject('parts');
    const k3 = partKey('parts', 'dataset');
    await expect(saveProjectRecord('parts', { version: 2, savedAt: 4, payload: { dataset: ds1 } }, { gen: g, parts: { dataset: { key: k3, value: ds1 } } })).rejects.toBeInstanceOf(StaleWriterError);
    expect((await d.getAllKeys('parts')).map(String).filter((k) => k.startsWith('parts#'))).toEqual([k2]);
    await deleteProjectRecord('parts');
    expect((await d.getAllKeys('parts')).map(String).filter((k) => k.startsWith('parts#'))).toEqual([]);
    d.close();
  });
});
