// @vitest-environment node
// A zip of images is unpacked by an installed reader (the app's is a worker, so a large zip never
// blocks the page): the preview says it is unpacking meanwhile, a zip that finishes after the
// user picked something else is dropped, the guards' messages reach the preview, and the
// worker's answer hands every entry over by transfer without losing or mixing bytes.
import { afterEach, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { createStudioStore } from './store.ts';
import { ownImages, pickFiles, pickZip, setImageZipReader, type PickedFile } from './ownImages.ts';
import { readImageZip, type ImageZipResult } from '../data/project/imageZip.ts';
import { transferable } from '../workers/imageZipTransfer.ts';

const file = (path: string, bytes: Uint8Array): PickedFile => ({
  name: path.split('/').pop()!, path, size: bytes.length, bytes: async () => bytes.slice(), text: async () => new TextDecoder().decode(bytes),
});

afterEach(() => setImageZipReader(async (b, n) => readImageZip(b, n)));

describe('own images: zip unpacking off the page thread', () => {
  it('shows "unpacking" while the reader works; a later pick wins over a zip that finishes late', async () => {
    const store = createStudioStore();
    let release: (r: ImageZipResult) => void = () => {};
    const seen: string[] = [];
    setImageZipReader((bytes, name) => {
      seen.push(`${name}:${bytes.length}`);
      return new Promise((r) => (release = r));
    });
    const zip = zipSync({ 'z/a/1.png': Uint8Array.of(1), 'z/b/2.png': Uint8Array.of(2) });
    const pending = pickZip(store, file('z.zip', zip));
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual([`z.zip:${zip.length}`]);
    expect(store.getState().ui.importPreview).toMatchObject({ source: 'zip', unpacking: 'z.zip', images: 0 });
    // The user picks a folder before the zip is done: the folder's preview stays.
    await pickFiles(store, [file('f/c1/x.png', Uint8Array.of(0)), file('f/c2/y.png', Uint8Array.of(0))], 'folder');
    release(readImageZip(zip, 'z.zip'));
    await pending;
    expect(store.getState().ui.importPreview).toMatchObject({ source: 'folder', images: 2 });
    expect(ownImages.getState().source!.name).toBe('f');
  });

  it('the guards name the zip and the entry; a reader that throws is a preview problem too', async () => {
    const store = createStudioStore();
    await pickZip(store, file('evil.zip', zipSync({ '../up.png': Uint8Array.of(1), 'a/b.png': Uint8Array.of(1) })));
    expect(store.getState().ui.importPreview!.problems[0]).toMatch(/^evil\.zip: entry '\.\.\/up\.png' has .*refusing the file/);
    setImageZipReader(async () => { throw new Error('worker crashed'); });
    await pickZip(store, file('x.zip', zipSync({ 'a/b.png': Uint8Array.of(1) })));
    expect(store.getState().ui.importPreview!.problems).toEqual(['x.zip: could not be read (worker crashed)']);
  });

  it('the worker answer transfers each entry buffer once (views into a shared buffer are copied)', () => {
    const shared = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const own = Uint8Array.of(9, 9);
    const r: ImageZipResult = { ok: true, images: [{ path: 'a.png', bytes: shared.subarray(0, 3) }, { path: 'b.png', bytes: shared.subarray(3) }, { path: 'c.png', bytes: own }], csv: null, ignored: 0 };
    const { result, buffers } = transferable(r);
    if (!result.ok) throw new Error('expected ok');
    expect(result.images.map((e) => Array.from(e.bytes))).toEqual([[1, 2, 3], [4, 5, 6], [9, 9]]);
    expect(buffers).toHaveLength(3);
    expect(new Set(buffers).size).toBe(3);
    expect(buffers).toContain(own.buffer);
    expect(buffers).not.toContain(shared.buffer);
    expect(transferable({ ok: false, error: 'x' }).buffers).toEqual([]);
  });
});
