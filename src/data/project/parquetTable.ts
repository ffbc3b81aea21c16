/**
 * A parquet file as the embeddings importer needs it: the top-level columns with a kind (list of
 * numbers, binary, plain value, anything else) and their values row by row. Reading is hyparquet's
 * (pure JS, browser and Node, snappy built in); this file only describes the schema in words and
 * joins the row groups.
 */
import type { SchemaTree } from 'hyparquet';

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

/** Read a whole parquet file held in memory. Throws hyparquet's own error for a damaged file. */
export async function readParquetTable(bytes: Uint8Array, file: string): Promise<ParquetTable> {
  // Loaded on first use (their own chunks in the app): snappy is built into hyparquet; the
  // compressors add ZSTD (polars' default), GZIP, BROTLI and LZ4.
  const [{ parquetMetadata, parquetRead, parquetSchema }, { compressors }] = await Promise.all([import('hyparquet'), import('hyparquet-compressors')]);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(buf);
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
