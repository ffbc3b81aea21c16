/**
 * The prepared demo arrays (public/demo/cache/, written by `npm run demo:prepare`), read and
 * validated by src/data/demo's loader. Resolves null when there is no cache, so the caller
 * computes the arrays in the browser instead; throws (with the loader's message) when a cache is
 * there but does not fit the demo's files.
 */
import { loadDemoCache } from '../data/demo/cache.ts';
import type { Mat } from '../core/types.ts';
import type { DemoArrays, DemoMeta } from '../state/demoProject.ts';

const DIR = `${import.meta.env.BASE_URL}demo/cache/`;

async function bytes(file: string): Promise<Uint8Array> {
  const r = await fetch(DIR + file);
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Rows of A reordered so that row k is the row of image ids[k]. */
function rowsById(A: Mat, from: string[], ids: string[]): Mat {
  const at = new Map(from.map((id, i) => [id, i]));
  const out = new Float32Array(ids.length * A.cols);
  ids.forEach((id, k) => {
    const i = at.get(id);
    if (i == null) throw new Error(`the demo cache has no row for image ${id}: run npm run demo:prepare`);
    out.set(A.data.subarray(i * A.cols, (i + 1) * A.cols), k * A.cols);
  });
  return { rows: ids.length, cols: A.cols, data: out };
}

export async function loadPreparedDemo(meta: DemoMeta): Promise<DemoArrays | null> {
  const r = await fetch(DIR + 'cache.json').catch(() => null);
  if (!r || !r.ok || !(r.headers.get('content-type') ?? '').includes('json')) return null;
  // Hashes are checked by `npm run demo:prepare` and the tests; shapes and values are checked here.
  const c = await loadDemoCache(await r.json(), bytes, { verifyHashes: false });
  const m = c.manifest;
  if (m.classes.join('|') !== meta.classes.join('|')) throw new Error(`the demo cache has classes ${m.classes.join(', ')}, the demo ${meta.classes.join(', ')}`);
  if (m.concepts.map((x) => x.name).join('|') !== meta.concepts.join('|')) throw new Error('the demo cache was made from another concept corpus: run npm run demo:prepare');
  return {
    conceptEmb: c.conceptEmbeddings,
    classEmb: c.classEmbeddings,
    raw: rowsById(c.activations, m.imageIds, meta.ids),
    teacher: rowsById(c.teacherProbabilities, m.imageIds, meta.ids),
    teacherDescription: 'Demo teacher (ONNX)',
    modelDescription: `${m.model.id} (${m.model.device} · ${m.model.dtype}, prepared by npm run demo:prepare)`,
  };
}
