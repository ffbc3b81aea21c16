/**
 * Embeddings computed elsewhere, read and checked before anything is built from them:
 *  - the command line's own output: `concept-studio embed` → emb.npy (N×R×D float32) +
 *    emb.ids.txt (+ emb.meta.json naming the model); `concept-studio concepts` → M×D .npy of
 *    concept text embeddings, with the concept list it was made from;
 *  - clip-retrieval's `inference` output: img_emb/img_emb_K.npy shards (float16, unit length) with
 *    metadata/metadata_K.parquet holding `image_path` (and `caption`, and any other metadata);
 *  - a parquet file with one embedding per row (a list of floats, or fixed-size binary holding
 *    little-endian float32) and an id column (image_path, path, key, id, …), as Spark jobs and
 *    embedding_reader's "parquet" layout write it;
 *  - an N×D or N×R×D .npy with an ids list (.txt one per line, or a .json array of strings).
 * Optional: concept text embeddings (.npy M×D named *concept*) + the concept list (concepts.txt),
 * and labels (a CSV, parsed by the caller's parser, or a label/class column in the parquet).
 *
 * Decisions (each is reported to the user as a note, never silently):
 *  - float16 and float64 are converted to float32 (clip-retrieval writes float16); integer or
 *    boolean arrays are refused: they are not embeddings.
 *  - rows that are not unit length are L2-normalised (METHODS §1 normalises every embedding; a
 *    cosine does not depend on the length, so nothing is lost); an all-zero row has no direction
 *    and is refused.
 *  - R must be 1, 5 or 10 (full image, + 2×2 grid, + 3×3 grid), as the studio's region grid.
 * Everything else wrong is refused with the file, the row (and id) and the column.
 * Pure data code: no DOM, no React; the caller hands in bytes.
 */
import { readParquetTable, type ParquetTable } from './parquetTable.ts';
import { parseNpyFloat32, NpyError } from '../../core/io/npy.ts';

/** One file the user picked: its name (a relative path is fine) and its bytes. */
export interface InputFile { name: string; bytes: Uint8Array }

/** Parses a labels CSV into id/basename → label (the studio's parser lives in src/state/importScan.ts). */
export type LabelsParser = (text: string) => { labels: Map<string, string>; problems: string[] };

export interface ConceptImport {
  names: string[];
  categories: (string | null)[];
  /** M×D unit-length text embeddings, same order as `names`; null = only the names were given. */
  text: Float32Array | null;
}

export interface EmbeddingImport {
  ids: string[];
  N: number;
  R: number;
  D: number;
  /** N×R×D, row-major, every region row unit length. */
  data: Float32Array;
  concepts: ConceptImport | null;
  /** Label name per image (null where unknown); null when no labels were given. */
  labels: (string | null)[] | null;
  /** Where the labels came from, in words. */
  labelSource: string | null;
  /** The image model the embeddings were made with, when a file says so (.meta.json). */
  model: string | null;
  /** What each file was read as. */
  roles: { file: string; role: string }[];
  /** What was done to the data (conversions, normalisation), for the user. */
  notes: string[];
}

export type EmbeddingImportResult =
  | { ok: true; value: EmbeddingImport }
  | { ok: false; problems: string[]; roles: { file: string; role: string }[] };

/** The region counts the studio's grid knows: full image, + 2×2, + 3×3. */
export const REGION_COUNTS = [1, 5, 10] as const;

class ImportProblem extends Error {}
const fail = (msg: string): never => {
  throw new ImportProblem(msg);
};

const base = (name: string) => name.split(/[\\/]/).pop() ?? name;
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
/** Trailing shard number of img_emb_3.npy / metadata_0003.parquet. */
const shardOf = (name: string) => /_(\d+)\.(npy|parquet)$/i.exec(base(name))?.[1];

function text(f: InputFile): string {
  return new TextDecoder('utf-8').decode(f.bytes);
}

/** Read a float .npy to float32 (f2/f4/f8), refusing other dtypes and shapes. */
function readFloatNpy(f: InputFile, what: string, ranks: number[], notes: string[]) {
  let arr;
  try {
    arr = parseNpyFloat32(f.bytes, base(f.name));
  } catch (e) {
    if (e instanceof NpyError) fail(`${what}: ${e.message}`);
    throw e;
  }
  if (!/^f[248]$/.test(arr.kind)) {
    fail(`${what} ${base(f.name)} holds ${arr.dtype} values; embeddings must be floating point (float16, float32 or float64)`);
  }
  if (arr.kind !== 'f4') notes.push(`${base(f.name)}: ${arr.kind === 'f2' ? 'float16' : 'float64'} values converted to float32.`);
  if (!ranks.includes(arr.shape.length)) {
    const want = ranks.map((r) => (r === 2 ? '(N, D)' : r === 3 ? '(N, R, D)' : `${r}-D`)).join(' or ');
    fail(`${what} ${base(f.name)} has shape (${arr.shape.join(', ')}); expected ${want}`);
  }
  return arr;
}

/** Ids from a .txt (one per line; a trailing newline is fine, a blank line inside is not) or a .json array. */
function readIds(f: InputFile): string[] {
  const name = base(f.name);
  if (/\.json$/i.test(name)) {
    let doc: unknown;
    try {
      doc = JSON.parse(text(f));
    } catch (e) {
      return fail(`ids ${name} is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(doc)) return fail(`ids ${name} must be a JSON array of strings, got ${doc === null ? 'null' : typeof doc}`);
    const bad = doc.findIndex((x) => typeof x !== 'string' || x.trim() === '');
    if (bad >= 0) fail(`ids ${name}[${bad}] is ${JSON.stringify(doc[bad])}; every id must be a non-empty string`);
    return (doc as string[]).map((s) => s.trim());
  }
  const t = text(f).replace(/^\ufeff/, '');
  const lines = t.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  const blank = lines.findIndex((l) => l.trim() === '');
  if (blank >= 0) fail(`ids ${name} line ${blank + 1} is empty; every row of the embeddings needs an id`);
  return lines.map((l) => l.trim());
}

function checkIds(ids: string[], where: string): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const first = seen.get(id);
    if (first !== undefined) fail(`${where}: id "${id}" appears twice (rows ${first + 1} and ${i + 1}); ids must be unique`);
    seen.set(id, i);
  });
}

/** One concept per line, a tab may give a category, # comments and blank lines skipped, no duplicates. */
function readConceptNames(f: InputFile): { names: string[]; categories: (string | null)[] } {
  const name = base(f.name);
  const names: string[] = [];
  const categories: (string | null)[] = [];
  const seen = new Map<string, number>();
  if (/\.json$/i.test(name)) {
    let doc: unknown;
    try { doc = JSON.parse(text(f)); } catch (e) { return fail(`concept list ${name} is not valid JSON (${(e as Error).message})`); }
    if (!Array.isArray(doc) || doc.some((x) => typeof x !== 'string')) return fail(`concept list ${name} must be a JSON array of strings`);
    doc.forEach((n: string, i) => {
      const key = n.trim().toLowerCase().replace(/\s+/g, ' ');
      if (!key) fail(`concept list ${name}[${i}] is empty`);
      if (seen.has(key)) fail(`concept list ${name}: "${n.trim()}" appears twice ([${seen.get(key)}] and [${i}])`);
      seen.set(key, i);
      names.push(n.trim());
      categories.push(null);
    });
  } else {
    text(f).replace(/^\ufeff/, '').split(/\r?\n/).forEach((raw, k) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const [n, category] = line.split('\t').map((s) => s.trim());
      const key = n.toLowerCase().replace(/\s+/g, ' ');
      if (seen.has(key)) fail(`concept list ${name} line ${k + 1}: "${n}" repeats line ${seen.get(key)! + 1}`);
      seen.set(key, k);
      names.push(n);
      categories.push(category || null);
    });
  }
  if (!names.length) fail(`concept list ${name} lists no concepts`);
  return { names, categories };
}

/**
 * Refuse NaN/Infinity (naming the row, its id, the region and the dimension) and all-zero rows;
 * normalise rows that are not unit length. Returns how many rows were rescaled and their norm range.
 */
function checkAndNormalise(data: Float32Array, rows: number, R: number, D: number, label: (row: number) => string, file: string) {
  let fixed = 0;
  let lo = Infinity;
  let hi = 0;
  for (let q = 0; q < rows * R; q++) {
    const o = q * D;
    let ss = 0;
    for (let d = 0; d < D; d++) {
      const v = data[o + d];
      if (!Number.isFinite(v)) {
        const where = R > 1 ? `, region ${q % R}` : '';
        fail(`${file} holds ${v} at ${label(Math.floor(q / R))}${where}, column ${d}; every value must be a finite number`);
      }
      ss += v * v;
    }
    const n = Math.sqrt(ss);
    if (n === 0) fail(`${file}: ${label(Math.floor(q / R))}${R > 1 ? `, region ${q % R}` : ''} is all zeros; an embedding needs a direction`);
    if (Math.abs(n - 1) > 1e-2) {
      fixed++;
      lo = Math.min(lo, n);
      hi = Math.max(hi, n);
    }
    // Rescale anything off by more than float32 rounding (float16 leaves norms ~1e-3 from 1);
    // rows already unit length keep their exact values.
    if (Math.abs(n - 1) > 1e-6) for (let d = 0; d < D; d++) data[o + d] /= n;
  }
  return { fixed, lo, hi };
}

const ID_COLUMNS = ['image_path', 'path', 'filepath', 'file_path', 'file', 'filename', 'file_name', 'image', 'image_id', 'id', 'key', 'url', 'name'];
const EMB_COLUMNS = ['embedding', 'embeddings', 'image_embedding', 'image_embeddings', 'img_emb', 'emb', 'clip_embedding', 'vector', 'features'];
const LABEL_COLUMNS = ['label', 'labels', 'class', 'class_name', 'category', 'target', 'y'];
const pick = (names: string[], wanted: string[]) => wanted.map((w) => names.find((n) => n.toLowerCase() === w)).find((x) => x !== undefined);

/** Rows of an id/label column as strings (numbers, bigints allowed; null/empty refused for ids). */
function columnStrings(t: ParquetTable, col: string, what: 'id' | 'label'): (string | null)[] {
  const vals = t.column(col);
  return vals.map((v, i) => {
    if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) {
      if (what === 'id') fail(`${t.file} row ${i + 1}: the ${col} column is empty; every row needs an id`);
      return null;
    }
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    return fail(`${t.file} row ${i + 1}: the ${col} column holds ${typeof v === 'object' ? 'a nested value' : typeof v}; expected text or a number`);
  });
}

/** The embedding column of a parquet table as N×D float32. */
function embeddingColumn(t: ParquetTable): { data: Float32Array; D: number; col: string; note: string | null } {
  const cols = t.columns;
  const named = pick(cols.map((c) => c.name), EMB_COLUMNS);
  const vectorish = cols.filter((c) => c.kind === 'list' || c.kind === 'binary');
  const col = named ? cols.find((c) => c.name === named)! : vectorish.length === 1 ? vectorish[0] : null;
  if (!col) {
    const found = cols.map((c) => `${c.name} (${c.describe})`).join(', ');
    return fail(vectorish.length > 1
      ? `${t.file} has several columns that could be embeddings (${vectorish.map((c) => c.name).join(', ')}); name one "embedding"`
      : `${t.file} has no embedding column (a list of floats or fixed-size binary per row, e.g. "embedding"); columns found: ${found || 'none'}`);
  }
  const vals = t.column(col.name);
  // A JSON text column of arrays (some writers store lists that way) arrives parsed: accept it.
  const first = vals.find((v) => v !== null && v !== undefined);
  if (col.kind !== 'list' && col.kind !== 'binary' && !Array.isArray(first)) {
    fail(`${t.file}: column ${col.name} holds ${col.describe}, not an embedding (a list of floats or fixed-size binary per row)`);
  }
  let D = -1;
  let data = new Float32Array(0);
  let note: string | null = null;
  vals.forEach((v, i) => {
    if (v === null || v === undefined) fail(`${t.file} row ${i + 1}: ${col.name} is empty (null)`);
    let row: ArrayLike<number>;
    if (v instanceof Uint8Array) {
      if (v.length % 4) fail(`${t.file} row ${i + 1}: ${col.name} holds ${v.length} bytes, not a whole number of float32 values`);
      row = new Float32Array(v.slice().buffer);
      note = `${t.file}: column ${col.name} is binary; read as little-endian float32.`;
    } else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
      row = v as ArrayLike<number>;
      for (let d = 0; d < row.length; d++) {
        if (typeof row[d] !== 'number') fail(`${t.file} row ${i + 1}, column ${d} of ${col.name}: ${row[d] === null ? 'null' : typeof row[d]} is not a number`);
      }
    } else {
      return fail(`${t.file} row ${i + 1}: ${col.name} holds ${typeof v}, not a list of numbers`);
    }
    if (D < 0) {
      D = row.length;
      if (D === 0) fail(`${t.file} row 1: ${col.name} is an empty list`);
      data = new Float32Array(vals.length * D);
    } else if (row.length !== D) {
      fail(`${t.file} row ${i + 1}: ${col.name} has ${row.length} values but row 1 has ${D}; every embedding must have the same size`);
    }
    for (let d = 0; d < D; d++) data[i * D + d] = row[d];
  });
  if (D < 0) fail(`${t.file} has no rows`);
  return { data, D, col: col.name, note };
}

interface ImageSource { ids: string[]; R: number; D: number; data: Float32Array; labels: (string | null)[] | null; labelSource: string | null; what: string }

async function readTable(f: InputFile): Promise<ParquetTable> {
  try {
    return await readParquetTable(f.bytes, base(f.name));
  } catch (e) {
    return fail(`${base(f.name)} is not a readable parquet file: ${(e as Error).message}`);
  }
}

/** Ids (and labels, if a label column exists) from a metadata/embedding parquet. */
function idsAndLabels(t: ParquetTable): { ids: string[]; labels: (string | null)[] | null; labelCol: string | null } {
  const names = t.columns.map((c) => c.name);
  const idCol = pick(names, ID_COLUMNS);
  if (!idCol) fail(`${t.file} has no id column (one of ${ID_COLUMNS.slice(0, 6).join(', ')}, …); columns found: ${names.join(', ') || 'none'}`);
  const ids = columnStrings(t, idCol!, 'id') as string[];
  const labelCol = pick(names, LABEL_COLUMNS) ?? null;
  return { ids, labels: labelCol ? columnStrings(t, labelCol, 'label') : null, labelCol };
}

/** Join shards in shard-number order. */
function concatSources(parts: ImageSource[]): ImageSource {
  if (parts.length === 1) return parts[0];
  const { R, D } = parts[0];
  const odd = parts.find((p) => p.D !== D || p.R !== R);
  if (odd) fail(`${odd.what} has ${odd.R > 1 ? `${odd.R} regions × ` : ''}${odd.D} dimensions but ${parts[0].what} has ${R > 1 ? `${R} regions × ` : ''}${D}`);
  const N = parts.reduce((s, p) => s + p.ids.length, 0);
  const data = new Float32Array(N * R * D);
  let o = 0;
  for (const p of parts) { data.set(p.data, o); o += p.data.length; }
  const anyLabels = parts.some((p) => p.labels);
  return {
    ids: parts.flatMap((p) => p.ids), R, D, data,
    labels: anyLabels ? parts.flatMap((p) => p.labels ?? p.ids.map(() => null)) : null,
    labelSource: parts.find((p) => p.labelSource)?.labelSource ?? null,
    what: `${parts.length} shards`,
  };
}

/** Read and check everything the user picked. Never throws for bad input: problems come back as text. */
export async function readEmbeddingImport(files: InputFile[], opts: { parseLabels?: LabelsParser } = {}): Promise<EmbeddingImportResult> {
  const roles: { file: string; role: string }[] = [];
  const notes: string[] = [];
  try {
    const value = await readAll(files, opts, roles, notes);
    return { ok: true, value };
  } catch (e) {
    if (e instanceof ImportProblem) return { ok: false, problems: [e.message], roles };
    return { ok: false, problems: [`could not read the files: ${(e as Error)?.message ?? String(e)}`], roles };
  }
}

async function readAll(files: InputFile[], opts: { parseLabels?: LabelsParser }, roles: { file: string; role: string }[], notes: string[]): Promise<EmbeddingImport> {
  if (!files.length) fail('no files given');
  const role = (f: InputFile, r: string) => roles.push({ file: f.name, role: r });
  const by = { image: [] as InputFile[], conceptNpy: [] as InputFile[], conceptList: [] as InputFile[], ids: [] as InputFile[], meta: [] as InputFile[], csv: [] as InputFile[], parquet: [] as InputFile[], metaParquet: [] as InputFile[] };
  const hasImgEmb = files.some((f) => /^img_emb_\d+\.npy$/i.test(base(f.name)));
  for (const f of files) {
    const n = base(f.name);
    if (f.bytes.length === 0) fail(`${n} is empty (0 bytes)`);
    if (/\.meta\.json$/i.test(n)) { by.meta.push(f); role(f, 'model and settings (.meta.json)'); }
    else if (/\.npy$/i.test(n)) {
      if (/^text_emb_\d+\.npy$/i.test(n)) { role(f, 'caption embeddings (not used)'); notes.push(`${n}: clip-retrieval caption embeddings are not concepts; not used.`); }
      else if (/concept|cemb/i.test(n)) { by.conceptNpy.push(f); role(f, 'concept text embeddings'); }
      else { by.image.push(f); role(f, 'image embeddings'); }
    } else if (/\.parquet$/i.test(n)) {
      if (hasImgEmb && /^metadata_\d+\.parquet$/i.test(n)) { by.metaParquet.push(f); role(f, 'ids and metadata (clip-retrieval)'); }
      else { by.parquet.push(f); role(f, 'image embeddings (parquet)'); }
    } else if (/\.csv$/i.test(n)) { by.csv.push(f); role(f, 'labels'); }
    else if (/\.(txt|json)$/i.test(n)) {
      if (/concept/i.test(n)) { by.conceptList.push(f); role(f, 'concept list'); }
      else { by.ids.push(f); role(f, 'image ids'); }
    } else {
      role(f, 'not used');
      notes.push(`${n}: not an embeddings, ids, concepts or labels file; not used.`);
    }
  }
  const one = (list: InputFile[], what: string) => {
    if (list.length > 1) fail(`${list.length} files look like ${what} (${list.map((f) => base(f.name)).join(', ')}); give one`);
    return list[0] ?? null;
  };

  // ---------------------------------------------------------------- image embeddings
  let src: ImageSource;
  if (by.parquet.length && by.image.length) fail(`both a parquet file (${base(by.parquet[0].name)}) and .npy image embeddings (${base(by.image[0].name)}) were given; give one kind`);
  if (!by.parquet.length && !by.image.length) fail('no image embeddings: give an .npy (N×D or N×R×D) with its ids, or a parquet file with an embedding column');
  if (by.parquet.length) {
    const parts: ImageSource[] = [];
    const sorted = [...by.parquet].sort((a, b) => Number(shardOf(a.name) ?? 0) - Number(shardOf(b.name) ?? 0));
    for (const f of sorted) {
      const t = await readTable(f);
      const emb = embeddingColumn(t);
      if (emb.note) notes.push(emb.note);
      const { ids, labels, labelCol } = idsAndLabels(t);
      parts.push({ ids, R: 1, D: emb.D, data: emb.data, labels, labelSource: labelCol ? `column ${labelCol} of ${t.file}` : null, what: t.file });
    }
    src = concatSources(parts);
  } else if (by.metaParquet.length || by.image.every((f) => /^img_emb_\d+\.npy$/i.test(base(f.name)))) {
    // clip-retrieval: img_emb_K.npy ↔ metadata_K.parquet, joined in shard order.
    const shards = [...by.image].sort((a, b) => Number(shardOf(a.name)) - Number(shardOf(b.name)));
    const parts: ImageSource[] = [];
    for (const f of shards) {
      const k = shardOf(f.name)!;
      const meta = by.metaParquet.find((m) => Number(shardOf(m.name)) === Number(k));
      if (!meta) fail(`${base(f.name)} has no metadata_${k}.parquet beside it (clip-retrieval writes the image paths there)`);
      const arr = readFloatNpy(f, 'image embeddings', [2], notes);
      const t = await readTable(meta!);
      const { ids, labels, labelCol } = idsAndLabels(t);
      if (ids.length !== arr.shape[0]) fail(`${t.file} has ${plural(ids.length, 'row')} but ${base(f.name)} has ${plural(arr.shape[0], 'embedding')}`);
      parts.push({ ids, R: 1, D: arr.shape[1], data: arr.data, labels, labelSource: labelCol ? `column ${labelCol} of ${t.file}` : null, what: base(f.name) });
    }
    const orphan = by.metaParquet.find((m) => !shards.some((f) => Number(shardOf(f.name)) === Number(shardOf(m.name))));
    if (orphan) fail(`${base(orphan.name)} has no img_emb_${shardOf(orphan.name)}.npy beside it`);
    src = concatSources(parts);
  } else {
    const f = one(by.image, 'image embeddings (.npy); name concept embeddings with "concept" in the file name')!;
    const arr = readFloatNpy(f, 'image embeddings', [2, 3], notes);
    const [N, R, D] = arr.shape.length === 3 ? arr.shape : [arr.shape[0], 1, arr.shape[1]];
    const idf = one(by.ids, 'ids lists');
    if (!idf) fail(`${base(f.name)} needs its ids: add the ids list (${base(f.name).replace(/\.npy$/i, '')}.ids.txt from concept-studio embed, or a .txt with one id per line, or a .json array)`);
    const ids = readIds(idf!);
    if (ids.length !== N) fail(`ids ${base(idf!.name)} lists ${plural(ids.length, 'id')} but ${base(f.name)} has ${plural(N, 'row')}`);
    src = { ids, R, D, data: arr.data, labels: null, labelSource: null, what: base(f.name) };
  }
  const { ids, R, D } = src;
  const N = ids.length;
  if (N === 0) fail(`${src.what} has no rows`);
  if (D === 0) fail(`${src.what} has embeddings of size 0`);
  if (!(REGION_COUNTS as readonly number[]).includes(R)) {
    fail(`${src.what} has ${R} regions per image; the studio's region grid gives 1 (full image), 5 (full + 2×2) or 10 (full + 3×3)`);
  }
  checkIds(ids, src.what);
  const fix = checkAndNormalise(src.data, N, R, D, (i) => `row ${i + 1} (id "${ids[i]}")`, src.what);
  if (fix.fixed) notes.push(`${src.what}: ${plural(fix.fixed, 'embedding')} of ${(N * R).toLocaleString('en')} were not unit length (norms ${fix.lo.toPrecision(3)}–${fix.hi.toPrecision(3)}); normalised them (cosines are unchanged).`);

  // ---------------------------------------------------------------- model (.meta.json)
  let model: string | null = null;
  const metaFile = one(by.meta, 'settings files (.meta.json)');
  if (metaFile) {
    let m: { model?: unknown; R?: unknown; D?: unknown };
    try { m = JSON.parse(text(metaFile)); } catch (e) { return fail(`${base(metaFile.name)} is not valid JSON (${(e as Error).message})`); }
    if (typeof m !== 'object' || m === null || typeof m.model !== 'string') fail(`${base(metaFile.name)} has no "model" (the image model's id)`);
    if (typeof m.D === 'number' && m.D !== D) fail(`${base(metaFile.name)} says D = ${m.D} but the embeddings have ${D} dimensions`);
    if (typeof m.R === 'number' && m.R !== R) fail(`${base(metaFile.name)} says R = ${m.R} regions but the embeddings have ${R}`);
    model = m.model as string;
  }

  // ---------------------------------------------------------------- concepts
  let concepts: ConceptImport | null = null;
  const listFile = one(by.conceptList, 'concept lists');
  const cFile = one(by.conceptNpy, 'concept embeddings');
  if (listFile) concepts = { ...readConceptNames(listFile), text: null };
  if (cFile) {
    const arr = readFloatNpy(cFile, 'concept embeddings', [2], notes);
    const [M, Dc] = arr.shape;
    if (!concepts) fail(`concept embeddings ${base(cFile.name)} (${M}×${Dc}) need their names: add the concept list they were made from (concepts.txt, one per line, same order)`);
    if (Dc !== D) fail(`concept embeddings ${base(cFile.name)} have ${Dc} dimensions but the image embeddings have ${D}: were they made with the same model?`);
    if (M !== concepts!.names.length) fail(`concept embeddings ${base(cFile.name)} have ${plural(M, 'row')} but the concept list ${base(listFile!.name)} names ${plural(concepts!.names.length, 'concept')}`);
    const cf = checkAndNormalise(arr.data, M, 1, D, (j) => `row ${j + 1} (concept "${concepts!.names[j]}")`, base(cFile.name));
    if (cf.fixed) notes.push(`${base(cFile.name)}: ${plural(cf.fixed, 'concept embedding')} were not unit length; normalised them.`);
    concepts!.text = arr.data;
  }

  // ---------------------------------------------------------------- labels
  let labels = src.labels;
  let labelSource = src.labelSource;
  const csv = one(by.csv, 'labels files (.csv)');
  if (csv) {
    if (!opts.parseLabels) fail(`${base(csv.name)}: this reader has no labels parser`);
    const { labels: map, problems } = opts.parseLabels!(text(csv));
    if (problems.length) fail(`${base(csv.name)}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
    // The CSV may name images by full id or by file name; a file name shared by two ids is ambiguous.
    const byBase = new Map<string, number>();
    for (const id of ids) byBase.set(base(id), (byBase.get(base(id)) ?? 0) + 1);
    const got = ids.map((id) => map.get(id) ?? (byBase.get(base(id)) === 1 ? map.get(base(id)) : undefined) ?? null);
    const matched = got.filter((g) => g !== null).length;
    if (!matched) fail(`${base(csv.name)} labels none of the ${plural(N, 'image')} (its first file name is "${[...map.keys()][0] ?? ''}", the first id is "${ids[0]}")`);
    if (matched < N) notes.push(`${base(csv.name)}: ${plural(N - matched, 'image')} without a label.`);
    labels = got;
    labelSource = base(csv.name);
  }
  if (!labels) {
    // Like a folder import: the folder an image sits in is its class, when every id has one.
    const folders = ids.map((id) => { const p = id.split(/[\\/]/).filter(Boolean); return p.length >= 2 ? p[p.length - 2] : null; });
    if (folders.every((x) => x !== null) && new Set(folders).size >= 2) {
      labels = folders;
      labelSource = 'folder names in the ids';
    }
  }
  return { ids, N, R, D, data: src.data, concepts, labels, labelSource, model, roles, notes };
}
