/** The demo project's metadata and prepared arrays read from disk, for Node tests and tools. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDemoCache } from '../../src/data/demo/cache.ts';
import { demoArraysFromCache, imageModelFromPreprocessor, parseCorpus, parseDemoLabels, type DemoArrays, type DemoMeta } from '../../src/state/demoProject.ts';

const ROOT = join(import.meta.dirname, '../..');
const PUB = join(ROOT, 'public');
const CACHE = join(PUB, 'demo/cache');

/** Whether the prepared cache and the model description are there. */
export const demoOnDisk = existsSync(join(CACHE, 'cache.json')) && existsSync(join(ROOT, 'models/demo-clip/preprocessor_config.json'));

export async function loadDemoFromDisk(): Promise<{ meta: DemoMeta; arrays: DemoArrays }> {
  const ds = JSON.parse(readFileSync(join(PUB, 'demo/dataset.json'), 'utf8')) as { name: string; task: { classes: string[] } };
  const classes = ds.task.classes;
  const meta: DemoMeta = {
    name: ds.name, classes, ...parseDemoLabels(readFileSync(join(PUB, 'demo/labels.csv'), 'utf8'), classes, '/demo/'),
    corpusName: 'inspection.txt', concepts: parseCorpus(readFileSync(join(PUB, 'corpora/inspection.txt'), 'utf8')),
  };
  const c = await loadDemoCache(readFileSync(join(CACHE, 'cache.json'), 'utf8'), async (f) => new Uint8Array(readFileSync(join(CACHE, f))), { verifyHashes: false });
  const m = c.manifest;
  const cfg = JSON.parse(readFileSync(join(ROOT, `models/${m.model.id}/preprocessor_config.json`), 'utf8')) as Record<string, unknown>;
  const arrays = demoArraysFromCache(meta, c, imageModelFromPreprocessor(m.model.id, m.D, cfg, m.regions.pad), m.model.id);
  return { meta, arrays };
}
