/**
 * The prepared demo arrays (public/demo/cache/, written by `npm run demo:prepare`), when present.
 * Resolves null when there is no cache, so the caller computes the arrays in the browser instead.
 */
import type { DemoArrays, DemoMeta } from '../state/demoProject.ts';

export async function loadPreparedDemo(_meta: DemoMeta): Promise<DemoArrays | null> {
  const r = await fetch(`${import.meta.env.BASE_URL}demo/cache/cache.json`).catch(() => null);
  if (!r || !r.ok || !(r.headers.get('content-type') ?? '').includes('json')) return null;
  // The loader and validator of the cache format live in src/data/demo (not in this build yet).
  return null;
}
