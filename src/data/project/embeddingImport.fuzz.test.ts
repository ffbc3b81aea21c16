/**
 * Fuzzing the precomputed-embeddings importer: valid files of any shape round-trip; damaged
 * .npy, ids and parquet files only ever give a specific refusal (never an exception, never the
 * catch-all "could not read the files"); whatever is accepted is well-formed (unique ids, finite,
 * unit-length rows, N·R·D values).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readEmbeddingImport, REGION_COUNTS, type InputFile, type EmbeddingImportResult } from './embeddingImport.ts';
import { writeNpy } from '../../core/io/npy.ts';
import { parseLabelsCsv } from '../../state/importScan.ts';
import { unitRows } from '../../../tests/support/random.ts';
import { mutate, mutationsArb } from '../../../tests/nasty/mutate.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const read = (files: InputFile[]) => readEmbeddingImport(files, { parseLabels: parseLabelsCsv });

function wellFormed(r: EmbeddingImportResult) {
  if (!r.ok) {
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) expect(p).not.toMatch(/^could not read the files/);
    return;
  }
  const v = r.value;
  expect(v.data.length).toBe(v.N * v.R * v.D);
  expect(v.ids.length).toBe(v.N);
  expect(new Set(v.ids).size).toBe(v.N);
  expect((REGION_COUNTS as readonly number[]).includes(v.R)).toBe(true);
  for (let q = 0; q < v.N * v.R; q++) {
    let ss = 0;
    for (let d = 0; d < v.D; d++) {
      expect(Number.isFinite(v.data[q * v.D + d])).toBe(true);
      ss += v.data[q * v.D + d] ** 2;
    }
    expect(Math.abs(Math.sqrt(ss) - 1)).toBeLessThan(1e-4);
  }
}

const idArb = fc.string({ minLength: 1, maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, '_').trim()).filter((s) => s.length > 0);
const shapeArb = fc.record({ N: fc.integer({ min: 1, max: 6 }), R: fc.constantFrom(...REGION_COUNTS), D: fc.integer({ min: 1, max: 8 }), seed: fc.integer() });

function parquetOf(ids: string[], rows: number[][]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({
    columnData: [{ name: 'image_path', data: ids }, { name: 'embedding', data: rows }],
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'image_path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'embedding', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'OPTIONAL' },
    ],
  }));
}

describe('readEmbeddingImport (fuzz)', () => {
  it('valid .npy + ids of any shape round-trip (ids, sizes, values); scaled rows come back unit length', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.uniqueArray(idArb, { minLength: 6, maxLength: 6 }), fc.boolean(), fc.double({ min: 0.01, max: 100, noNaN: true }), async ({ N, R, D, seed }, names, json, scale) => {
        const ids = names.slice(0, N);
        const E = unitRows(N * R, D, seed);
        const scaled = Float32Array.from(E.data, (v) => v * scale);
        const r = await read([
          { name: 'e.npy', bytes: writeNpy(scaled, R === 1 && seed % 2 ? [N, D] : [N, R, D]) },
          json ? { name: 'ids.json', bytes: enc(JSON.stringify(ids)) } : { name: 'e.ids.txt', bytes: enc(ids.join('\n') + '\n') },
        ]);
        expect(r.ok, r.ok ? '' : r.problems.join()).toBe(true);
        if (!r.ok) return;
        expect([r.value.N, r.value.R, r.value.D]).toEqual([N, R, D]);
        expect(r.value.ids).toEqual(ids);
        for (let k = 0; k < E.data.length; k++) expect(r.value.data[k]).toBeCloseTo(E.data[k], 5);
        wellFormed(r);
      }),
      { numRuns: 80 },
    );
  });

  it('valid parquet files round-trip', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }), fc.integer(), async (N, D, seed) => {
        const E = unitRows(N, D, seed);
        const ids = Array.from({ length: N }, (_, i) => `dir/img${i}.jpg`);
        const rows = Array.from({ length: N }, (_, i) => Array.from(E.data.subarray(i * D, (i + 1) * D)));
        const r = await read([{ name: 'x.parquet', bytes: parquetOf(ids, rows) }]);
        expect(r.ok && [r.value.ids, Array.from(r.value.data)]).toEqual([ids, Array.from(E.data)]);
      }),
      { numRuns: 40 },
    );
  });

  it('damaged .npy, ids, concept and parquet files only ever give a specific refusal or a well-formed import', async () => {
    const E = unitRows(4 * 5, 6, 1);
    const npy = writeNpy(E.data, [4, 5, 6]);
    const ids = enc('ok/a.jpg\nok/b.jpg\nrusty/c.jpg\nrusty/d.jpg\n');
    const cnpy = writeNpy(unitRows(2, 6, 2).data, [2, 6]);
    const clist = enc('rust\nscratch\n');
    const pq = parquetOf(['a', 'b', 'c'], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    const which = fc.constantFrom('npy', 'ids', 'cnpy', 'clist', 'parquet');
    await fc.assert(
      fc.asyncProperty(which, mutationsArb, async (w, ms) => {
        const files: InputFile[] = w === 'parquet'
          ? [{ name: 'x.parquet', bytes: mutate(pq, ms) }]
          : [
            { name: 'e.npy', bytes: w === 'npy' ? mutate(npy, ms) : npy },
            { name: 'e.ids.txt', bytes: w === 'ids' ? mutate(ids, ms) : ids },
            { name: 'concepts.npy', bytes: w === 'cnpy' ? mutate(cnpy, ms) : cnpy },
            { name: 'concepts.txt', bytes: w === 'clist' ? mutate(clist, ms) : clist },
          ];
        wellFormed(await read(files));
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes under any of the names only ever give a specific refusal', async () => {
    const names = fc.constantFrom('e.npy', 'x.parquet', 'e.ids.txt', 'ids.json', 'concepts.txt', 'concepts.npy', 'labels.csv', 'e.meta.json', 'img_emb_0.npy', 'metadata_0.parquet');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(names, fc.uint8Array({ maxLength: 120 })), { minLength: 1, maxLength: 4 }), async (fs) => {
        wellFormed(await read(fs.map(([name, bytes]) => ({ name, bytes }))));
      }),
      { numRuns: 200 },
    );
  });
});
