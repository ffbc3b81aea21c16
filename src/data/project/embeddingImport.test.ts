import { describe, it, expect, afterAll } from 'vitest';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { gzipSync } from 'fflate';
import { readEmbeddingImport, type InputFile } from './embeddingImport.ts';
import { writeNpy, parseNpy } from '../../core/io/npy.ts';
import { parseLabelsCsv } from '../../state/importScan.ts';
import { unitRows } from '../../../tests/support/random.ts';
import { half, npyRaw } from '../../../tools/fixtures/nastyEmbeddings.ts';
import { runCli } from '../../../tests/support/runCli.ts';
import { unloadAll } from '../../ml/clip.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const file = (name: string, bytes: Uint8Array | string): InputFile => ({ name, bytes: typeof bytes === 'string' ? enc(s(bytes)) : bytes });
const s = (x: string) => x;
const ids = (n: number, prefix = 'img') => Array.from({ length: n }, (_, i) => `${prefix}${i}.jpg`);
const idsTxt = (list: string[]) => list.join('\n') + '\n';

const f16npy = (m: Float32Array, shape: number[]) => npyRaw('<f2', shape, new Uint8Array(Uint16Array.from(m, half).buffer));
const f64npy = (m: Float32Array, shape: number[]) => npyRaw('<f8', shape, new Uint8Array(Float64Array.from(m).buffer));

/** A parquet file as pandas/pyarrow writes it: an id column, a list<float> embedding column, optional text columns. */
function embParquet(rows: string[], emb: (number[] | null)[], extra: { name: string; data: (string | null)[] }[] = [], embName = 'embedding'): Uint8Array {
  const buf = parquetWriteBuffer({
    columnData: [{ name: 'image_path', data: rows }, { name: embName, data: emb }, ...extra],
    schema: [
      { name: 'root', num_children: 2 + extra.length },
      { name: 'image_path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: embName, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'OPTIONAL' },
      ...extra.map((c) => ({ name: c.name, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const })),
    ],
  });
  return new Uint8Array(buf);
}
const rowsOf = (m: { rows: number; cols: number; data: Float32Array }) => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
const parseLabels = parseLabelsCsv;

async function refused(files: InputFile[]): Promise<string> {
  const r = await readEmbeddingImport(files, { parseLabels });
  if (r.ok) throw new Error('expected a refusal');
  return r.problems.join(' | ');
}

describe('readEmbeddingImport: the CLI layout (.npy + ids + concepts)', () => {
  it('reads N×R×D with ids, concept embeddings and names, and the model from .meta.json', async () => {
    const E = unitRows(6 * 5, 8, 1);
    const C = unitRows(3, 8, 2);
    const list = ['ok/a.png', 'ok/b.png', 'ok/c.png', 'rusty/d.png', 'rusty/e.png', 'rusty/f.png'];
    const r = await readEmbeddingImport([
      file('emb.npy', writeNpy(E.data, [6, 5, 8])),
      file('emb.ids.txt', idsTxt(list)),
      file('emb.meta.json', JSON.stringify({ model: 'tiny-clip', dtype: 'fp32', grid: 2, pad: false, R: 5, D: 8, hashes: {} })),
      file('concepts.npy', writeNpy(C.data, [3, 8])),
      file('concepts.txt', '# corpus\nrust\ndim light\tlighting\n\nscratch\n'),
    ], { parseLabels });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value;
    expect([v.N, v.R, v.D]).toEqual([6, 5, 8]);
    expect(v.ids).toEqual(list);
    expect(Array.from(v.data)).toEqual(Array.from(E.data));
    expect(v.model).toBe('tiny-clip');
    expect(v.concepts?.names).toEqual(['rust', 'dim light', 'scratch']);
    expect(v.concepts?.categories).toEqual([null, 'lighting', null]);
    expect(Array.from(v.concepts!.text!)).toEqual(Array.from(C.data));
    // Classes from the folders in the ids, as a folder import does.
    expect(v.labels).toEqual(['ok', 'ok', 'ok', 'rusty', 'rusty', 'rusty']);
    expect(v.labelSource).toMatch(/folder/);
    expect(v.notes).toEqual([]);
    expect(v.roles.map((x) => x.role)).toEqual(['image embeddings', 'image ids', 'model and settings (.meta.json)', 'concept text embeddings', 'concept list']);
  });

  it('accepts N×D as R = 1, a .json ids array, CRLF, and labels from a CSV (by file name)', async () => {
    const E = unitRows(4, 6, 3);
    const r = await readEmbeddingImport([
      file('x.npy', writeNpy(E.data, [4, 6])),
      file('ids.json', JSON.stringify(['/data/a.jpg', '/data/b.jpg', '/data/c.jpg', '/data/d.jpg'])),
      file('labels.csv', '\ufefffile,label\r\na.jpg,good\r\nb.jpg,bad\r\nc.jpg,good\r\n'),
    ], { parseLabels });
    expect(r.ok && [r.value.N, r.value.R, r.value.D]).toEqual([4, 1, 6]);
    expect(r.ok && r.value.labels).toEqual(['good', 'bad', 'good', null]);
    expect(r.ok && r.value.notes.join()).toMatch(/1 image without a label/);
    expect(r.ok && r.value.concepts).toBe(null);
  });

  it('converts float16 and float64 to float32 and says so; normalises rows that are not unit length and says so', async () => {
    const E = unitRows(5, 16, 4);
    const r16 = await readEmbeddingImport([file('e.npy', f16npy(E.data, [5, 16])), file('e.ids.txt', idsTxt(ids(5)))]);
    expect(r16.ok).toBe(true);
    if (!r16.ok) return;
    expect(r16.value.notes.join()).toMatch(/float16 values converted to float32/);
    expect(r16.value.notes.join()).not.toMatch(/unit length/); // float16 rounding is not "not normalised"
    for (let k = 0; k < E.data.length; k++) expect(r16.value.data[k]).toBeCloseTo(E.data[k], 2);

    const scaled = Float32Array.from(E.data, (v, k) => v * (1 + Math.floor(k / 16)));
    const r64 = await readEmbeddingImport([file('e.npy', f64npy(scaled, [5, 16])), file('e.ids.txt', idsTxt(ids(5)))]);
    expect(r64.ok).toBe(true);
    if (!r64.ok) return;
    expect(r64.value.notes.join('\n')).toMatch(/float64 values converted to float32/);
    expect(r64.value.notes.join('\n')).toMatch(/4 embeddings of 5 were not unit length \(norms 2\.00–5\.00\); normalised them/);
    for (let k = 0; k < E.data.length; k++) expect(r64.value.data[k]).toBeCloseTo(E.data[k], 5);
  });

  it('refuses each bad input with a message naming the file, row and reason', async () => {
    const E = unitRows(4, 6, 5);
    const good = writeNpy(E.data, [4, 6]);
    const idf = file('e.ids.txt', idsTxt(ids(4)));
    expect(await refused([file('e.npy', writeNpy(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [4, 2])), idf])).toMatch(/e\.npy holds <i4 values; embeddings must be floating point/);
    expect(await refused([file('e.npy', writeNpy(E.data, [24])), idf])).toMatch(/e\.npy has shape \(24\); expected \(N, D\) or \(N, R, D\)/);
    expect(await refused([file('e.npy', writeNpy(E.data, [1, 4, 1, 6])), idf])).toMatch(/shape \(1, 4, 1, 6\)/);
    expect(await refused([file('e.npy', good), file('e.ids.txt', idsTxt(ids(3)))])).toMatch(/ids e\.ids\.txt lists 3 ids but e\.npy has 4 rows/);
    expect(await refused([file('e.npy', good), file('e.ids.txt', 'a\nb\na\nc\n')])).toMatch(/id "a" appears twice \(rows 1 and 3\)/);
    expect(await refused([file('e.npy', good), file('e.ids.txt', 'a\n\nb\nc\n')])).toMatch(/line 2 is empty/);
    expect(await refused([file('e.npy', good)])).toMatch(/e\.npy needs its ids: add the ids list \(e\.ids\.txt/);
    const nan = E.data.slice();
    nan[2 * 6 + 3] = NaN;
    expect(await refused([file('e.npy', writeNpy(nan, [4, 6])), idf])).toMatch(/e\.npy holds NaN at row 3 \(id "img2\.jpg"\), column 3/);
    const inf = unitRows(2 * 5, 4, 1).data;
    inf[7 * 4 + 1] = -Infinity;
    expect(await refused([file('e.npy', writeNpy(inf, [2, 5, 4])), file('e.ids.txt', 'a\nb\n')])).toMatch(/holds -Infinity at row 2 \(id "b"\), region 2, column 1/);
    const zero = E.data.slice();
    zero.fill(0, 6, 12);
    expect(await refused([file('e.npy', writeNpy(zero, [4, 6])), idf])).toMatch(/row 2 \(id "img1\.jpg"\) is all zeros/);
    expect(await refused([file('e.npy', good.subarray(0, good.length - 7)), idf])).toMatch(/image embeddings: e\.npy is truncated: shape \(4, 6\) needs 96 bytes of data, found 89/);
    expect(await refused([file('e.npy', writeNpy(unitRows(4 * 7, 6, 1).data, [4, 7, 6])), idf])).toMatch(/7 regions per image; the studio's region grid gives 1 \(full image\), 5 \(full \+ 2×2\) or 10/);
    expect(await refused([file('e.npy', new Uint8Array(0)), idf])).toMatch(/e\.npy is empty \(0 bytes\)/);
    // Concept embeddings that do not fit.
    const C = unitRows(2, 5, 1);
    expect(await refused([file('e.npy', good), idf, file('concepts.npy', writeNpy(C.data, [2, 5])), file('concepts.txt', 'a\nb\n')])).toMatch(/concept embeddings concepts\.npy have 5 dimensions but the image embeddings have 6: were they made with the same model\?/);
    expect(await refused([file('e.npy', good), idf, file('concepts.npy', writeNpy(unitRows(3, 6, 1).data, [3, 6])), file('concepts.txt', 'a\nb\n')])).toMatch(/have 3 rows but the concept list concepts\.txt names 2 concepts/);
    expect(await refused([file('e.npy', good), idf, file('concepts.npy', writeNpy(unitRows(2, 6, 1).data, [2, 6]))])).toMatch(/need their names: add the concept list/);
    expect(await refused([file('e.npy', good), idf, file('concepts.txt', 'rust\nRust \n')])).toMatch(/concepts\.txt line 2: "Rust" repeats line 1/);
    expect(await refused([file('e.npy', good), idf, file('e.meta.json', JSON.stringify({ model: 'x', R: 1, D: 512 }))])).toMatch(/e\.meta\.json says D = 512 but the embeddings have 6 dimensions/);
    expect(await refused([file('e.npy', good), file('f.npy', good), idf])).toMatch(/2 files look like image embeddings/);
    expect(await refused([file('e.npy', good), idf, file('labels.csv', 'file,label\n"a.jpg,ok\n')])).toMatch(/labels\.csv: labels CSV line 2: a quote/);
    expect(await refused([file('e.npy', good), idf, file('labels.csv', 'file,label\nzzz.jpg,ok\n')])).toMatch(/labels\.csv labels none of the 4 images/);
  });
});

describe('readEmbeddingImport: parquet', () => {
  it('reads an embedding column (list of floats) with ids and a label column', async () => {
    const E = unitRows(5, 4, 7);
    const p = embParquet(ids(5), rowsOf(E), [{ name: 'label', data: ['a', 'b', 'a', 'b', null] }, { name: 'caption', data: ['x', 'y', 'z', 'w', 'v'] }]);
    const r = await readEmbeddingImport([file('emb.parquet', p)]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([r.value.N, r.value.R, r.value.D]).toEqual([5, 1, 4]);
    expect(r.value.ids).toEqual(ids(5));
    expect(Array.from(r.value.data)).toEqual(Array.from(E.data));
    expect(r.value.labels).toEqual(['a', 'b', 'a', 'b', null]);
    expect(r.value.labelSource).toBe('column label of emb.parquet');
  });

  it('reads fixed-size binary embeddings (little-endian float32) and says so', async () => {
    const E = unitRows(3, 4, 8);
    const bin = rowsOf(E).map((row) => new Uint8Array(Float32Array.from(row).buffer));
    const buf = parquetWriteBuffer({
      columnData: [{ name: 'key', data: ['k0', 'k1', 'k2'] }, { name: 'vector', data: bin }],
      schema: [
        { name: 'root', num_children: 2 },
        { name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'vector', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, repetition_type: 'REQUIRED' },
      ],
    });
    const r = await readEmbeddingImport([file('v.parquet', new Uint8Array(buf))]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.ids).toEqual(['k0', 'k1', 'k2']);
    expect(Array.from(r.value.data)).toEqual(Array.from(E.data));
    expect(r.value.notes.join()).toMatch(/binary; read as little-endian float32/);
  });

  it('refuses a parquet without an embedding column (listing the columns), ragged or null rows, no id column, and garbage', async () => {
    const noEmb = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'image_path', data: ['a', 'b'], type: 'STRING' }, { name: 'score', data: [0.5, 0.2], type: 'DOUBLE' }] }));
    expect(await refused([file('m.parquet', noEmb)])).toMatch(/m\.parquet has no embedding column .*; columns found: image_path \(BYTE_ARRAY \(text\)\), score \(DOUBLE\)/);
    expect(await refused([file('r.parquet', embParquet(['a', 'b', 'c'], [[1, 0, 0], [0, 1], [0, 0, 1]]))])).toMatch(/r\.parquet row 2: embedding has 2 values but row 1 has 3/);
    expect(await refused([file('n.parquet', embParquet(['a', 'b'], [[1, 0], null]))])).toMatch(/n\.parquet row 2: embedding is empty \(null\)/);
    // hyparquet-writer's automatic typing stores lists as JSON text: read as well; without an id column, refused.
    const noId = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'embedding', data: [[1, 0], [0, 1]] }, { name: 'caption', data: ['x', 'y'], type: 'STRING' }] }));
    expect(await refused([file('i.parquet', noId)])).toMatch(/i\.parquet has no id column .*columns found: embedding, caption/);
    const json = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'embedding', data: [[1, 0], [0, 2]] }, { name: 'id', data: ['x', 'y'], type: 'STRING' }] }));
    const rj = await readEmbeddingImport([file('j.parquet', json)]);
    expect(rj.ok && [rj.value.ids, Array.from(rj.value.data)]).toEqual([['x', 'y'], [1, 0, 0, 1]]);
    expect(await refused([file('g.parquet', enc('PAR1 this is not parquet at all PAR1'))])).toMatch(/g\.parquet is not a readable parquet file/);
    const good = embParquet(ids(4), rowsOf(unitRows(4, 3, 1)));
    expect(await refused([file('t.parquet', good.subarray(0, good.length - 30))])).toMatch(/t\.parquet is not a readable parquet file/);
    expect(await refused([file('d.parquet', embParquet(['a', 'b', 'a'], rowsOf(unitRows(3, 3, 1))))])).toMatch(/id "a" appears twice \(rows 1 and 3\)/);
  });

  it('reads GZIP-compressed parquet (hyparquet-compressors), as well as the default snappy', async () => {
    const E = unitRows(3, 4, 9);
    const buf = parquetWriteBuffer({
      columnData: [{ name: 'id', data: ['a', 'b', 'c'] }, { name: 'embedding', data: rowsOf(E) }],
      schema: [
        { name: 'root', num_children: 2 },
        { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'embedding', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'FLOAT', repetition_type: 'OPTIONAL' },
      ],
      codec: 'GZIP',
      compressors: { GZIP: (b: Uint8Array) => gzipSync(b) },
    });
    const r = await readEmbeddingImport([file('z.parquet', new Uint8Array(buf))]);
    expect(r.ok && [r.value.ids, Array.from(r.value.data)]).toEqual([['a', 'b', 'c'], Array.from(E.data)]);
  });

  it("reads clip-retrieval's layout: img_emb_K.npy (float16) + metadata_K.parquet (image_path), shards in order; caption embeddings unused", async () => {
    const A = unitRows(3, 8, 11);
    const B = unitRows(2, 8, 12);
    const meta = (paths: string[]) => new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'image_path', data: paths, type: 'STRING' }, { name: 'caption', data: paths.map((p) => `a photo ${p}`), type: 'STRING' }] }));
    const files = [
      file('img_emb/img_emb_1.npy', f16npy(B.data, [2, 8])),
      file('metadata/metadata_1.parquet', meta(['/imgs/rusty/3.jpg', '/imgs/rusty/4.jpg'])),
      file('img_emb/img_emb_0.npy', f16npy(A.data, [3, 8])),
      file('metadata/metadata_0.parquet', meta(['/imgs/ok/0.jpg', '/imgs/ok/1.jpg', '/imgs/rusty/2.jpg'])),
      file('text_emb/text_emb_0.npy', f16npy(A.data, [3, 8])),
    ];
    const r = await readEmbeddingImport(files);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.ids).toEqual(['/imgs/ok/0.jpg', '/imgs/ok/1.jpg', '/imgs/rusty/2.jpg', '/imgs/rusty/3.jpg', '/imgs/rusty/4.jpg']);
    expect(r.value.N).toBe(5);
    const both = [...A.data, ...B.data];
    for (let k = 0; k < both.length; k++) expect(r.value.data[k]).toBeCloseTo(both[k], 2);
    expect(r.value.labels).toEqual(['ok', 'ok', 'rusty', 'rusty', 'rusty']);
    expect(r.value.notes.join('\n')).toMatch(/text_emb_0\.npy: clip-retrieval caption embeddings are not concepts; not used/);
    expect(await refused(files.filter((f) => !f.name.includes('metadata_1')))).toMatch(/img_emb_1\.npy has no metadata_1\.parquet beside it/);
    expect(await refused([files[2], file('metadata/metadata_0.parquet', meta(['a', 'b']))])).toMatch(/metadata_0\.parquet has 2 rows but img_emb_0\.npy has 3 embeddings/);
  });
});

describe('round trip through the command line (tiny CLIP)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    unloadAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('concept-studio embed + concepts → import: same N, ids and embeddings; concepts by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emb-import-'));
    dirs.push(dir);
    const FIX = join(import.meta.dirname, '../../../tests/fixtures/images');
    mkdirSync(join(dir, 'imgs/ok'), { recursive: true });
    mkdirSync(join(dir, 'imgs/rusty'), { recursive: true });
    ['rgb_odd.png', 'gray.png'].forEach((n) => cpSync(join(FIX, n), join(dir, 'imgs/ok', n)));
    ['exif6.jpg', 'big.png'].forEach((n) => cpSync(join(FIX, n), join(dir, 'imgs/rusty', n)));
    writeFileSync(join(dir, 'concepts.txt'), 'rust\nscratch\ndent\n');
    const MODEL = join(import.meta.dirname, '../../../models/tiny-clip');
    const e = await runCli('embed', join(dir, 'imgs'), '--model', MODEL, '--regions', '4', '--out', join(dir, 'emb.npy'));
    expect(e.code, e.err).toBe(0);
    const c = await runCli('concepts', '--model', MODEL, '--concepts', join(dir, 'concepts.txt'), '--out', join(dir, 'concepts.npy'));
    expect(c.code, c.err).toBe(0);

    const read = (n: string) => file(n, new Uint8Array(readFileSync(join(dir, n))));
    const r = await readEmbeddingImport(['emb.npy', 'emb.ids.txt', 'emb.meta.json', 'concepts.npy', 'concepts.txt'].map(read), { parseLabels });
    expect(r.ok, r.ok ? '' : r.problems.join()).toBe(true);
    if (!r.ok) return;
    const written = parseNpy(new Uint8Array(readFileSync(join(dir, 'emb.npy'))));
    expect(written.shape).toEqual([4, 5, 16]);
    expect([r.value.N, r.value.R, r.value.D]).toEqual([4, 5, 16]);
    expect(r.value.ids).toEqual(readFileSync(join(dir, 'emb.ids.txt'), 'utf8').trim().split('\n'));
    expect(r.value.ids).toEqual(['ok/gray.png', 'ok/rgb_odd.png', 'rusty/big.png', 'rusty/exif6.jpg']);
    // The CLI writes unit vectors, so the import keeps them (to float32 rounding).
    for (let k = 0; k < written.data.length; k++) expect(r.value.data[k]).toBeCloseTo(written.data[k], 6);
    expect(r.value.model).toMatch(/tiny-clip/);
    expect(r.value.concepts?.names).toEqual(['rust', 'scratch', 'dent']);
    expect(r.value.concepts?.text?.length).toBe(3 * 16);
    expect(r.value.labels).toEqual(['ok', 'ok', 'rusty', 'rusty']);
    expect(r.value.notes).toEqual([]);
  }, 120_000);
});
