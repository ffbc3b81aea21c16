// The embed API's two preparation schedules (EmbedLoadOptions.prepSchedule): preparing the next
// batch while the model runs ('overlap') or between model runs ('burst') changes only when the
// work happens — the embeddings, failures and thumbnails are the same. In-process (Node), with the
// inline prepare step, the tiny fixture model and the image fixtures.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbedApi, type EmbedFilesResult } from './embedApi.ts';
import { decodeImage, encodeJpeg, setPlatformDecoder, thumbnail } from '../data/images/index.ts';
import { cacheKey, memoryEmbeddingCache, sha256Hex } from '../data/cache/index.ts';
import { sharpDecoder } from '../../tools/cli/embedSharp.ts';

const ROOT = join(import.meta.dirname, '../..');
const file = (id: string) => ({ id, bytes: new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/images', id))) });

describe('embedding schedules', () => {
  it("'burst' embeds exactly what 'overlap' does, and load reports the schedule", async () => {
    setPlatformDecoder(sharpDecoder);
    const files = ['rgb_odd.png', 'not_an_image.jpg', 'gray.png', 'anim.gif', 'photo420.jpg', 'corrupt_truncated.png', 'pal8.bmp', 'rgba.png'].map(file);
    const runs: EmbedFilesResult[] = [];
    for (const prepSchedule of ['overlap', 'burst'] as const) {
      const api = createEmbedApi({ decode: (b, n) => decodeImage(b, n), hash: sha256Hex, openCache: async () => memoryEmbeddingCache(), cacheKey, thumbnail: (img, side) => encodeJpeg(thumbnail(img, side)) });
      expect((await api.load({ model: 'tiny-clip', localModelPath: join(ROOT, 'models/'), prepSchedule })).prepSchedule).toBe(prepSchedule);
      runs.push(await api.embedFiles(files, { batchSize: 3, grid: 2, useCache: false, thumbnailSide: 24 }));
    }
    const [a, b] = runs;
    expect(a.ids).toEqual(['rgb_odd.png', 'gray.png', 'anim.gif', 'photo420.jpg', 'pal8.bmp', 'rgba.png']);
    expect(b.ids).toEqual(a.ids);
    expect(Array.from(b.embeddings)).toEqual(Array.from(a.embeddings));
    expect(b.errors).toEqual(a.errors);
    expect(b.thumbnails!.map((t) => t?.length ?? null)).toEqual(a.thumbnails!.map((t) => t?.length ?? null));
  });
});
