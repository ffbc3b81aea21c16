import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoCacheError, decodeDemoArray, float32FromLE, float32ToLE, loadDemoCache, parseDemoCacheManifest } from './cache.ts';

const DIR = join(import.meta.dirname, '../../../public/demo/cache');
const manifestText = readFileSync(join(DIR, 'cache.json'), 'utf8');
const read = async (f: string) => new Uint8Array(readFileSync(join(DIR, f)));

describe('demo cache (public/demo/cache)', () => {
  it('loads the committed cache with every check on', async () => {
    const c = await loadDemoCache(manifestText, read);
    const m = c.manifest;
    expect(m.N).toBe(m.imageIds.length);
    expect(c.imageEmbeddings.data.length).toBe(m.N * m.D);
    expect(c.activations.rows).toBe(m.N);
    expect(c.activations.cols).toBe(m.concepts.length);
    expect(c.teacherProbabilities.cols).toBe(m.classes.length);
    expect(Math.min(...c.labels)).toBe(-1);
    // Raw activations are max(0, cos(image, concept)) of the stored embeddings.
    const i = 17, j = 5;
    let cos = 0;
    for (let d = 0; d < m.D; d++) cos += c.imageEmbeddings.data[i * m.D + d] * c.conceptEmbeddings.data[j * m.D + d];
    expect(c.activations.data[i * m.M + j]).toBeCloseTo(Math.max(0, cos), 5);
  });

  it('gives specific errors for a stale manifest, wrong bytes and a wrong hash', async () => {
    const m = JSON.parse(manifestText);
    m.arrays.activations.shape = [m.N, m.M + 1];
    expect(() => parseDemoCacheManifest(m)).toThrow(/arrays\.activations\.shape: shape is \d+×\d+, expected \d+×\d+/);
    const good = parseDemoCacheManifest(manifestText);
    expect(() => decodeDemoArray(good, 'labels', new Uint8Array(8))).toThrow(/labels\.bin has 8 bytes but cache\.json says/);
    await expect(loadDemoCache(manifestText, async (f) => (f === 'labels.bin' ? float32ToLE(new Float32Array(good.N)) : read(f)))).rejects.toThrow(
      /labels\.bin does not match cache\.json \(sha256/,
    );
    expect(() => parseDemoCacheManifest({ ...JSON.parse(manifestText), version: 2 })).toThrow(/version 2; this studio reads version 1/);
    const badLabels = float32ToLE(new Float32Array(good.N).fill(9));
    expect(() => decodeDemoArray(good, 'labels', badLabels)).toThrow(DemoCacheError);
  });

  it('round-trips little-endian float32', () => {
    const x = Float32Array.of(0, -1.5, 3.25e-8, 1e30);
    expect(Array.from(float32FromLE(float32ToLE(x)))).toEqual(Array.from(x));
  });
});
