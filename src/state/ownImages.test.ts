// @vitest-environment node
// The Project view's build flow on the store: picking files shows a preview, a build commits a
// new project, and a failing or cancelled build leaves the open project as it was.
import { afterEach, describe, expect, it } from 'vitest';
import { createStudioStore } from './store.ts';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { buildOwnProject, ownImages, parseCorpusText, pickFiles, pickZip, setOwnImages, teacherFor, type PickedFile } from './ownImages.ts';
import { setBuildEmbedder, type BuildEmbedder } from './buildProject.ts';
import { zipSync } from 'fflate';
import { mulberry32, randNormal } from '../core/math/rng.ts';

const file = (path: string, bytes: Uint8Array): PickedFile => ({
  name: path.split('/').pop()!, path, size: bytes.length, bytes: async () => bytes.slice(), text: async () => new TextDecoder().decode(bytes),
});

/** Byte 0 is the class axis; 0xff = undecodable. */
function standIn(delayMs = 0): BuildEmbedder {
  return {
    async describe() { return { imageModel: null, description: 'stand-in' }; },
    // A seeded random direction per text: distinct names are far apart (no leaks, no merges).
    async embedTexts(ts) {
      const out = new Float32Array(ts.length * 4);
      ts.forEach((t, i) => { const rng = mulberry32([...t].reduce((h, c) => h * 31 + c.charCodeAt(0), 7) >>> 0); for (let d = 0; d < 4; d++) out[i * 4 + d] = randNormal(rng); });
      return out;
    },
    async embedFiles(files, _o, call) {
      await new Promise((r) => setTimeout(r, delayMs));
      if (call.signal?.aborted) throw new Error('aborted');
      const ok = files.filter((f) => f.bytes[0] !== 0xff);
      const data = new Float32Array(ok.length * 4);
      ok.forEach((f, i) => { data[i * 4 + f.bytes[0]] = 1; data[i * 4 + 3] = 0.1 * (i % 3); });
      return { ids: ok.map((f) => f.id), embeddings: data, R: 1, D: 4, errors: files.filter((f) => f.bytes[0] === 0xff).map((f) => ({ id: f.id, message: `${f.id}: not a supported image` })), cached: 0 };
    },
  };
}

function setup() {
  const store = createStudioStore();
  const { dataset, ensemble } = makeSyntheticProject({ seed: 1, N: 200 });
  store.getState().commit({ type: 'load', dataset, ensemble, label: 'synthetic' });
  store.getState().setEnv({ modelId: 'stand-in', models: [] });
  store.setState({ training: { lambda: 1e-4, members: 2, seed: 0, heldOutFraction: 0.25 } });
  setOwnImages({ corpus: { name: 'mine.txt', concepts: ['red', 'blue', 'round', 'square', 'metal', 'wood'] }, phase: 'idle', message: '' });
  return store;
}
const folder = () => [
  ...Array.from({ length: 10 }, (_, i) => file(`pick/a/${i}.png`, Uint8Array.of(i % 2 ? 0 : 0, 1, 2))),
  ...Array.from({ length: 10 }, (_, i) => file(`pick/b/${i}.png`, Uint8Array.of(1, 1, 2))),
  file('pick/b/bad.png', Uint8Array.of(0xff, 0, 0)),
];

afterEach(() => setBuildEmbedder(null));

describe('own images in the store', () => {
  it('a folder picked without file sizes (as the app picks it) previews; known sizes still name empty files', async () => {
    const store = setup();
    const withEmpty = [...folder(), file('pick/a/empty.png', new Uint8Array(0))];
    await pickFiles(store, withEmpty.map(({ size: _, ...f }) => f as PickedFile), 'folder');
    // Unknown sizes: the empty file counts as an image here; the decoder refuses it by name at build.
    expect(store.getState().ui.importPreview).toMatchObject({ images: 22, problems: [] });
    await pickFiles(store, withEmpty, 'folder');
    expect(store.getState().ui.importPreview).toMatchObject({ images: 21, problems: ['pick/a/empty.png is empty'] });
  });

  it('preview, build and commit; skipped files listed by name', async () => {
    setBuildEmbedder(() => standIn());
    const store = setup();
    await pickFiles(store, folder(), 'folder');
    expect(store.getState().ui.importPreview).toMatchObject({ images: 21, classes: [['a', 10], ['b', 11]] });
    await buildOwnProject(store);
    const o = ownImages.getState();
    expect(o.message).toMatch(/^Built pick: 20 images, 2 classes, \d+ concepts; fidelity .* on \d+ held-out images; 1 file\(s\) skipped\.$/);
    expect(o.phase).toBe('done');
    expect(o.skipped).toEqual([{ name: 'pick/b/bad.png', reason: 'not a supported image' }]);
    const ds = store.getState().dataset!;
    expect([ds.name, ds.N, ds.classes, ds.source.kind]).toEqual(['pick', 20, ['a', 'b'], 'imported']);
    expect(store.getState().ui.announce).toMatch(/^Built pick: 20 images, 2 classes/);
    expect(store.getState().jobs).toEqual([]);
    expect(ownImages.getState().source).toBeNull();
  });

  it('a failing build and a cancelled one leave the open project as it was', async () => {
    const store = setup();
    const before = store.getState().dataset;
    await pickFiles(store, folder(), 'folder');
    // No embedder installed: a clear message, nothing replaced.
    await buildOwnProject(store);
    expect(ownImages.getState()).toMatchObject({ phase: 'error', message: expect.stringMatching(/not available in this build\. Your current project is unchanged\./) });
    expect(store.getState().dataset).toBe(before);

    setBuildEmbedder(() => standIn(50));
    const run = buildOwnProject(store);
    await new Promise((r) => setTimeout(r, 10));
    store.getState().cancelJob(store.getState().jobs[0].id);
    await run;
    expect(ownImages.getState()).toMatchObject({ phase: 'cancelled', message: 'Build cancelled. Your current project is unchanged.' });
    expect(store.getState().dataset).toBe(before);
    expect(store.getState().jobs).toEqual([]);
  });

  it('teacher choices need their files; corpus text takes tab or comma; a bad zip is a preview problem', async () => {
    const o = ownImages.getState();
    expect(teacherFor('onnx', { ...o, onnxModel: null })).toMatch(/Pick the ONNX model and its labels file/);
    expect(teacherFor('file', { ...o, predictions: null })).toMatch(/Pick the predictions file/);
    expect(teacherFor('current', o)).toEqual({ kind: 'labels' });
    expect(parseCorpusText('\uFEFFrust\tdefect\nblue sky,weather\n# note\n\n  dim light  \n')).toEqual(['rust', 'blue sky', 'dim light']);
    const store = setup();
    await pickZip(store, file('x.zip', Uint8Array.of(1, 2, 3)));
    expect(store.getState().ui.importPreview!.problems).toEqual(['x.zip: not a zip file']);
    await pickZip(store, file('ok.zip', zipSync({ 'top/c1/a.png': Uint8Array.of(0, 1), 'top/c2/b.png': Uint8Array.of(1, 1), 'top/x.txt': Uint8Array.of(1) })));
    expect(store.getState().ui.importPreview).toMatchObject({ source: 'zip', images: 2, skipped: 1, classes: [['c1', 1], ['c2', 1]] });
    expect(ownImages.getState().source!.name).toBe('ok');
  });
});
