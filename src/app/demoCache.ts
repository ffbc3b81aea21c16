/**
 * The prepared demo arrays (public/demo/cache/, written by `npm run demo:prepare`), read and
 * validated by src/data/demo's loader. Resolves null when there is no cache, so the caller
 * computes the arrays in the browser instead; throws (with the loader's message) when a cache is
 * there but does not fit the demo's files.
 */
import { loadDemoCache } from '../data/demo/cache.ts';
import { demoArraysFromCache, imageModelFromPreprocessor, type DemoArrays, type DemoMeta } from '../state/demoProject.ts';
import type { ImageModel } from '../state/types.ts';

const DIR = `${import.meta.env.BASE_URL}demo/cache/`;

/** The demo CLIP as the export describes it: its id, embedding size D and models/<id>/preprocessor_config.json. */
export async function fetchImageModel(id: string, D: number, padToSquare: boolean): Promise<ImageModel> {
  const url = `${import.meta.env.BASE_URL}models/${id}/preprocessor_config.json`;
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return imageModelFromPreprocessor(id, D, (await r.json()) as Record<string, unknown>, padToSquare);
}

async function bytes(file: string): Promise<Uint8Array> {
  const r = await fetch(DIR + file);
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

export async function loadPreparedDemo(meta: DemoMeta): Promise<DemoArrays | null> {
  const r = await fetch(DIR + 'cache.json').catch(() => null);
  if (!r || !r.ok || !(r.headers.get('content-type') ?? '').includes('json')) return null;
  // Hashes are checked by `npm run demo:prepare` and the tests; shapes and values are checked here.
  const c = await loadDemoCache(await r.json(), bytes, { verifyHashes: false });
  const m = c.manifest;
  // The model description is what makes the export self-sufficient; without it the demo still
  // opens, activation-only (and cannot score new images).
  const imageModel = await fetchImageModel(m.model.id, m.D, m.regions.pad).catch((e) => {
    console.warn('demo model description not available; the export will be activation-only:', e);
    return null;
  });
  return demoArraysFromCache(meta, c, imageModel, `${m.model.id} (${m.model.device} · ${m.model.dtype}, prepared by npm run demo:prepare)`);
}
