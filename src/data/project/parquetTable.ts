/**
 * A parquet file as the embeddings importer needs it: the top-level columns with a kind (list of
 * numbers, binary, plain value, anything else) and their values row by row. Reading is hyparquet's
 * (pure JS, browser and Node, snappy built in); this file only describes the schema in words and
 * joins the row groups.
 */
import type { CompressionCodec, Compressors, FileMetaData, SchemaTree } from 'hyparquet';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { getMaxDefinitionLevel, getMaxRepetitionLevel, getSchemaPath } from 'hyparquet/src/schema.js';

export interface ParquetColumn {
  name: string;
  /** 'list': a repeated value per row (an embedding); 'binary': bytes; 'value': text or a number. */
  kind: 'list' | 'binary' | 'value' | 'other';
  /** The type in words, for messages: "list of FLOAT", "BYTE_ARRAY (text)", "INT64". */
  describe: string;
}

export interface ParquetTable {
  file: string;
  rows: number;
  columns: ParquetColumn[];
  /** The values of one column, one per row (lists as arrays, binary as Uint8Array). */
  column(name: string): unknown[];
}

function leafType(t: SchemaTree): string {
  let n = t;
  while (n.children.length === 1) n = n.children[0];
  return n.children.length ? 'a group' : String(n.element.logical_type?.type === 'FLOAT16' ? 'FLOAT16' : n.element.type ?? '?');
}

function describe(t: SchemaTree): ParquetColumn {
  const e = t.element;
  const name = e.name;
  const isList = e.converted_type === 'LIST' || e.logical_type?.type === 'LIST' || e.repetition_type === 'REPEATED';
  if (isList) return { name, kind: 'list', describe: `list of ${leafType(t)}` };
  if (t.children.length) return { name, kind: 'other', describe: e.converted_type === 'MAP' || e.logical_type?.type === 'MAP' ? 'map' : 'struct' };
  const text = e.converted_type === 'UTF8' || e.logical_type?.type === 'STRING' || e.converted_type === 'JSON' || e.converted_type === 'ENUM';
  if (e.type === 'FIXED_LEN_BYTE_ARRAY' && e.logical_type?.type !== 'FLOAT16' && !e.converted_type && !e.logical_type) {
    return { name, kind: 'binary', describe: `FIXED_LEN_BYTE_ARRAY(${e.type_length})` };
  }
  if (e.type === 'BYTE_ARRAY' && !text && !e.converted_type && !e.logical_type) return { name, kind: 'binary', describe: 'BYTE_ARRAY' };
  return { name, kind: 'value', describe: text ? `${e.type} (text)` : String(e.logical_type?.type ?? e.converted_type ?? e.type) };
}

/** Thrown for a file whose footer claims sizes the file cannot have; the message names the field. */
export class ParquetDamageError extends Error {
  override name = 'ParquetDamageError';
}

/** Deepest schema nesting read (a list of lists of structs is 5 or so; damage can claim thousands). */
const MAX_SCHEMA_DEPTH = 64;

const count = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : NaN);

/**
 * Cheap checks of what the footer claims against the file's real size, before anything is
 * read: hyparquet trusts these numbers (it sizes arrays by them and loops over them), so a
 * damaged count can cost minutes or gigabytes before it fails. Each check names the field.
 * - the schema: every num_children a whole number ≥ 0, the tree uses exactly the elements listed;
 * - num_rows: a whole number ≥ 0, equal to the sum over row groups, and at most 8 per byte of the
 *   file (the importer needs an id column of distinct ids, which take at least a bit per row; a
 *   constant column can take less, so the bound is for the file, not per column);
 * - every column chunk: its metadata present, its pages (offset + compressed size) inside the file
 *   before the footer, its value count a whole number ≥ 0.
 */
export function checkFooter(metadata: FileMetaData, file: ArrayBuffer, compressors?: Compressors): void {
  const fileBytes = file.byteLength;
  const bad = (why: string): never => {
    throw new ParquetDamageError(`damaged footer: ${why}`);
  };
  const whole = (v: unknown) => Number.isSafeInteger(count(v)) && count(v) >= 0;
  const schema = metadata.schema;
  if (!Array.isArray(schema) || schema.length === 0) bad('no schema');
  // Walk the schema tree the way hyparquet will, with the counts checked first.
  let next = 0;
  const walk = (depth: number): void => {
    if (depth > MAX_SCHEMA_DEPTH) bad(`the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels`);
    const i = next++;
    const e = schema[i];
    if (!e) bad(`the schema lists ${schema.length} elements but its child counts need more`);
    const n = e.num_children ?? 0;
    if (!whole(n)) bad(`schema element ${i} ("${String(e.name)}") claims ${String(n)} children`);
    if (n > schema.length - next) bad(`schema element ${i} ("${String(e.name)}") claims ${n} children, but only ${schema.length - next} elements follow`);
    for (let k = 0; k < n; k++) walk(depth + 1);
  };
  walk(0);
  if (next !== schema.length) bad(`the schema lists ${schema.length} elements but its child counts use ${next}`);
  const rows = count(metadata.num_rows);
  if (!whole(rows)) bad(`num_rows is ${String(metadata.num_rows)}`);
  if (rows > 8 * fileBytes) bad(`it claims ${rows} rows, more than a file of ${fileBytes} bytes can hold distinct ids for`);
  const footerStart = fileBytes - 8 - metadata.metadata_length;
  let sum = 0;
  metadata.row_groups.forEach((g, r) => {
    const n = count(g.num_rows);
    if (!whole(n)) bad(`row group ${r} claims ${String(g.num_rows)} rows`);
    sum += n;
    g.columns.forEach((c, k) => {
      const m = c.meta_data;
      const where = `row group ${r}, column ${k}${m?.path_in_schema ? ` (${m.path_in_schema.join('.')})` : ''}`;
      if (!m) return bad(`${where} has no column metadata`);
      const size = count(m.total_compressed_size);
      const start = Math.min(count(m.data_page_offset), m.dictionary_page_offset !== undefined ? count(m.dictionary_page_offset) : Infinity);
      if (!whole(size) || !whole(start)) bad(`${where}: page offset ${String(m.data_page_offset)} or size ${String(m.total_compressed_size)} is not a whole number`);
      if (start < 4 || start + size > footerStart) bad(`${where} claims bytes ${start}…${start + size}, outside the file's data (4…${footerStart})`);
      if (!whole(m.num_values)) bad(`${where} claims ${String(m.num_values)} values`);
      let levels = { def: 0, rep: 0 };
      try {
        const path = getSchemaPath(schema, m.path_in_schema);
        levels = { def: getMaxDefinitionLevel(path), rep: getMaxRepetitionLevel(path) };
      } catch {
        bad(`${where} names a column the schema does not have`);
      }
      checkPages(new DataView(file, start, size), m.codec, count(m.num_values), where, levels, compressors);
    });
  });
  if (sum !== rows) bad(`num_rows is ${rows} but the row groups hold ${sum}`);
}

/** Largest ratio of a page's claimed uncompressed size to its compressed size (zstd on zeros reaches ~1000:1). */
const MAX_PAGE_RATIO = 1024;
/** Page types a column chunk may hold (parquet.thrift PageType). */
const PAGE_TYPES = ['DATA_PAGE', 'INDEX_PAGE', 'DICTIONARY_PAGE', 'DATA_PAGE_V2'];

/**
 * Walk the page headers of one column chunk (thrift compact, read by hyparquet's own decoder
 * over exactly the chunk's bytes, so a header cannot reach past it) and check what hyparquet
 * will trust: the fields parquet.thrift marks required are there and whole numbers ≥ 0, each
 * page lies inside the chunk, its claimed uncompressed size is believable for its compressed
 * size, and the values claimed fit the chunk's count. A data page v2 without its level lengths,
 * for one, sent hyparquet's level decoder into an endless loop.
 */
function checkPages(chunk: DataView, codec: CompressionCodec, chunkValues: number, where: string, levels: { def: number; rep: number }, compressors?: Compressors): void {
  const bad = (why: string): never => {
    throw new ParquetDamageError(`damaged page: ${why}`);
  };
  const reader = { view: chunk, offset: 0 };
  const whole = (v: unknown) => Number.isSafeInteger(count(v)) && count(v) >= 0;
  for (let page = 0; reader.offset < chunk.byteLength; page++) {
    const at = `${where}, page ${page} (byte ${chunk.byteOffset + reader.offset})`;
    let h: Record<string, unknown>;
    try {
      h = deserializeTCompactProtocol(reader) as Record<string, unknown>;
    } catch (e) {
      return bad(`${at}: the page header cannot be read (${(e as Error).message})`);
    }
    const type = PAGE_TYPES[h.field_1 as number];
    if (!type) bad(`${at}: unknown page type ${String(h.field_1)}`);
    const unSize = count(h.field_2), size = count(h.field_3);
    if (!whole(unSize) || !whole(size)) bad(`${at}: page sizes ${String(h.field_2)} / ${String(h.field_3)} are not whole numbers`);
    if (size > chunk.byteLength - reader.offset) bad(`${at}: a page of ${size} bytes, but only ${chunk.byteLength - reader.offset} are left in the column chunk`);
    if (unSize > MAX_PAGE_RATIO * size + 65536 || (codec === 'UNCOMPRESSED' && type !== 'DATA_PAGE_V2' && unSize !== size)) {
      bad(`${at}: claims ${unSize} bytes uncompressed from ${size} bytes (${codec})`);
    }
    const sub = (field: string, names: string[]) => {
      const o = h[field] as Record<string, unknown> | undefined;
      if (!o || typeof o !== 'object') return bad(`${at}: a ${type} without its header`);
      names.forEach((name, k) => {
        if (!whole(o[`field_${k + 1}`])) bad(`${at}: ${name} is ${String(o[`field_${k + 1}`])}`);
      });
      const n = count(o.field_1);
      if (type !== 'DICTIONARY_PAGE' && n > chunkValues) bad(`${at}: ${n} values in a column chunk of ${chunkValues}`);
      return o;
    };
    const body = new Uint8Array(chunk.buffer, chunk.byteOffset + reader.offset, size);
    if (type === 'DATA_PAGE') {
      const o = sub('field_5', ['num_values', 'encoding', 'definition_level_encoding', 'repetition_level_encoding']);
      // v1: the levels sit inside the compressed page, each with a 4-byte length.
      let page: Uint8Array | null = null;
      try {
        page = decompressPage(body, unSize, codec, compressors);
      } catch {
        page = null; // hyparquet reports a page it cannot decompress with its own message
      }
      if (page) {
        let pos = 0;
        for (const [what, max] of [['repetition', levels.rep], ['definition', levels.def]] as const) {
          if (!max) continue;
          if (pos + 4 > page.length) bad(`${at}: the ${what} levels are missing`);
          const len = new DataView(page.buffer, page.byteOffset + pos, 4).getUint32(0, true);
          if (len > page.length - pos - 4) bad(`${at}: ${what} levels of ${len} bytes in a page of ${page.length}`);
          checkRuns(page, pos + 4, pos + 4 + len, bitWidth(max), count(o.field_1), `${at}: ${what} levels`, bad);
          pos += 4 + len;
        }
      }
    } else if (type === 'DICTIONARY_PAGE') sub('field_7', ['num_values', 'encoding']);
    else if (type === 'DATA_PAGE_V2') {
      const o = sub('field_8', ['num_values', 'num_nulls', 'num_rows', 'encoding', 'definition_levels_byte_length', 'repetition_levels_byte_length']);
      if (count(o.field_2) > count(o.field_1) || count(o.field_3) > count(o.field_1)) bad(`${at}: more nulls or rows than values`);
      const defLen = count(o.field_5), repLen = count(o.field_6);
      if (defLen + repLen > Math.min(size, unSize)) bad(`${at}: level lengths ${defLen} + ${repLen} exceed the page`);
      // v2: repetition then definition levels, uncompressed, at the start of the page.
      if (levels.rep) checkRuns(body, 0, repLen, bitWidth(levels.rep), count(o.field_1), `${at}: repetition levels`, bad);
      if (levels.def) checkRuns(body, repLen, repLen + defLen, bitWidth(levels.def), count(o.field_1), `${at}: definition levels`, bad);
    }
    reader.offset += size;
  }
}

const bitWidth = (max: number) => 32 - Math.clz32(max);

/**
 * Walk the runs of an RLE / bit-packed hybrid stream of `n` levels in bytes[from, to) without
 * decoding it: a run longer than what is left is damage. (hyparquet writes every value of a run,
 * past the end of its array too, so one damaged run length of 2^31 meant 2^31 writes and an array
 * that grows to match: found by the damage stress as a 352-byte file that took seconds to read.)
 */
function checkRuns(bytes: Uint8Array, from: number, to: number, width: number, n: number, at: string, bad: (why: string) => never): void {
  // hyparquet keeps reading runs until it has n values, past the stream's stated length too, so
  // the walk does the same (to the end of the page); `to` only bounds where the stream starts.
  let pos = from;
  let seen = 0;
  const end = Math.max(to, bytes.length);
  while (seen < n && pos < end) {
    let header = 0;
    let scale = 1;
    let b: number;
    do {
      if (pos >= end) return; // a stream cut short: hyparquet's own reading fails on it
      b = bytes[pos++];
      header += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80 && scale < 2 ** 35);
    const bitPacked = header % 2 === 1;
    const runs = Math.floor(header / 2);
    const values = bitPacked ? runs * 8 : runs;
    // A bit-packed run comes in groups of 8 and may pad the last group.
    if (values > n - seen + (bitPacked ? 7 : 0)) bad(`${at}: a run of ${values} values where ${n - seen} are left`);
    seen += values;
    pos += bitPacked ? runs * width : Math.ceil(width / 8);
  }
}

/** Read a whole parquet file held in memory. Throws hyparquet's own error for a damaged file. */
export async function readParquetTable(bytes: Uint8Array, file: string): Promise<ParquetTable> {
  // Loaded on first use (their own chunks in the app): snappy is built into hyparquet; the
  // compressors add ZSTD (polars' default), GZIP, BROTLI and LZ4.
  const [{ parquetMetadata, parquetRead, parquetSchema }, { compressors }] = await Promise.all([import('hyparquet'), import('hyparquet-compressors')]);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  // geoparquet: false — hyparquet's GeoParquet pass walks the schema by num_children and never
  // ends when a damaged file claims a negative count (found by a 20,000-file damage stress).
  const metadata = parquetMetadata(buf, { geoparquet: false });
  checkFooter(metadata, buf, compressors);
  const rows = Number(metadata.num_rows);
  const columns = parquetSchema(metadata).children.map(describe);
  const data = new Map<string, unknown[]>(columns.map((c) => [c.name, new Array<unknown>(rows)]));
  let filled = 0;
  // utf8: false keeps un-annotated BYTE_ARRAY (raw embedding bytes) as bytes; text columns are
  // annotated UTF8/STRING and still arrive as strings. One row group and one column at a time:
  // given several at once, hyparquet starts their reads together, and in a damaged file a second
  // failing read rejected with nobody listening (an unhandled rejection, found by the fuzz test).
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    for (const c of columns) {
      await parquetRead({
        file: buf,
        metadata,
        columns: [c.name],
        rowStart,
        rowEnd,
        utf8: false,
        compressors,
        onChunk: ({ columnName, columnData, rowStart: from, rowEnd: to }) => {
          const out = data.get(columnName);
          if (!out) return;
          const start = Number(from);
          for (let i = 0; i < Number(to) - start; i++) out[start + i] = columnData[i];
          filled += Number(to) - start;
        },
      });
    }
    rowStart = rowEnd;
  }
  if (rows > 0 && filled === 0) throw new Error('no column data could be read');
  return { file, rows, columns, column: (name) => data.get(name) ?? [] };
}
