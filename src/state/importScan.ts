/**
 * First look at a dataset the user drops in, before anything is decoded or embedded: which
 * images, which class each belongs to (folder name, or a labels CSV), and what is wrong.
 */
/** A picked file; `size` when known (an unknown size is not checked for emptiness here). */
export interface ScannedFile { path: string; size?: number; }

export interface ImportPreview {
  source: 'folder' | 'zip' | 'files';
  images: number;
  skipped: number;
  /** Class name → image count, sorted by name. */
  classes: [string, number][];
  unlabelled: number;
  problems: string[];
  /** A zip being unpacked (off the page's thread); the counts follow when it is done. */
  unpacking?: string;
}

const IMAGE = /\.(png|jpe?g|gif|bmp|webp)$/i;

/**
 * Split CSV text into rows of fields (RFC 4180: quoted fields may hold commas, doubled quotes
 * and line breaks; CRLF or LF; a leading byte-order mark is dropped). Returns the 1-based line
 * each row starts on, or the line of an unterminated quote.
 */
export function splitCsv(text: string): { rows: { line: number; cells: string[] }[]; unterminatedAt: number | null } {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let quoteLine = 0;
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if (quoted) {
      if (ch === '"') {
        if (t[i + 1] === '"') { cell += '"'; i++; } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell.trim() === '') { quoted = true; quoteLine = line; cell = ''; }
    else if (ch === ',') { cells.push(cell); cell = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && t[i + 1] === '\n') i++;
      cells.push(cell);
      rows.push({ line: rowLine, cells });
      cells = []; cell = '';
      rowLine = ++line;
    } else cell += ch;
  }
  if (quoted) return { rows, unterminatedAt: quoteLine };
  if (cell !== '' || cells.length) { cells.push(cell); rows.push({ line: rowLine, cells }); }
  return { rows: rows.filter((r) => r.cells.some((c) => c.trim() !== '')), unterminatedAt: null };
}

/**
 * Parse "file,label" rows (header optional; quotes, BOM and CRLF as Excel writes them); returns
 * basename → label. A file given two different labels is a problem (which one is right?).
 */
export function parseLabelsCsv(text: string): { labels: Map<string, string>; problems: string[] } {
  const labels = new Map<string, string>();
  const problems: string[] = [];
  const firstLine = new Map<string, number>();
  const { rows, unterminatedAt } = splitCsv(text);
  if (unterminatedAt !== null) {
    problems.push(`labels CSV line ${unterminatedAt}: a quote (") is never closed`);
    return { labels, problems };
  }
  rows.forEach(({ line, cells: raw }, k) => {
    const cells = raw.map((c) => c.trim());
    if (k === 0 && /^(file|filename|image|path|name)$/i.test(cells[0])) return;
    if (cells.length < 2 || !cells[0] || !cells[1]) {
      problems.push(`labels CSV line ${line}: expected "file,label", got "${raw.join(',').slice(0, 60)}"`);
      return;
    }
    const base = cells[0].split('/').pop()!;
    const had = labels.get(base);
    if (had !== undefined && had !== cells[1]) {
      problems.push(`labels CSV line ${line}: ${base} is listed more than once with different labels ("${had}" on line ${firstLine.get(base)}, "${cells[1]}" here)`);
      return;
    }
    if (had === undefined) firstLine.set(base, line);
    labels.set(base, cells[1]);
  });
  return { labels, problems };
}

/**
 * Paths with the leading folders every path shares removed (the folder the user picked, or a
 * zip's single top folder), so that what is left starts at the class sub-folders.
 */
export function stripCommonRoot(paths: string[]): string[] {
  const split = paths.map((p) => p.split('/').filter(Boolean));
  let k = 0;
  while (split.length && split.every((s) => s.length > k + 1 && s[k] === split[0][k])) k++;
  return split.map((s) => s.slice(k).join('/'));
}

export function scanImport(files: ScannedFile[], source: ImportPreview['source'], csv?: string): ImportPreview {
  const counts = new Map<string, number>();
  const problems: string[] = [];
  let images = 0;
  let skipped = 0;
  let unlabelled = 0;
  const fromCsv = csv != null ? parseLabelsCsv(csv) : null;
  if (fromCsv) problems.push(...fromCsv.problems.slice(0, 5));
  const rel = stripCommonRoot(files.filter((f) => IMAGE.test(f.path)).map((f) => f.path));
  let k = 0;
  for (const f of files) {
    if (!IMAGE.test(f.path)) { skipped++; continue; }
    const relPath = rel[k++];
    if (f.size === 0) { problems.push(`${f.path} is empty`); skipped++; continue; }
    images++;
    const parts = relPath.split('/').filter(Boolean);
    const base = parts[parts.length - 1];
    const cls = fromCsv ? fromCsv.labels.get(base) : parts.length >= 2 ? parts[parts.length - 2] : undefined;
    if (!cls) { unlabelled++; continue; }
    counts.set(cls, (counts.get(cls) ?? 0) + 1);
  }
  if (!images) problems.push('no images found (PNG, JPEG, GIF, BMP or WebP)');
  if (images && counts.size < 2 && !unlabelled) problems.push('only one class found: put each class in its own sub-folder, or add a labels CSV');
  return { source, images, skipped, classes: [...counts].sort((a, b) => a[0].localeCompare(b[0])), unlabelled, problems };
}
