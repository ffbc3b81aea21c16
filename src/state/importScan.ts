/**
 * First look at a dataset the user drops in, before anything is decoded or embedded: which
 * images, which class each belongs to (folder name, or a labels CSV), and what is wrong.
 */
export interface ScannedFile { path: string; size: number; }

export interface ImportPreview {
  source: 'folder' | 'zip' | 'files';
  images: number;
  skipped: number;
  /** Class name → image count, sorted by name. */
  classes: [string, number][];
  unlabelled: number;
  problems: string[];
}

const IMAGE = /\.(png|jpe?g|gif|bmp|webp)$/i;

/** Parse "file,label" lines (header optional); returns basename → label. */
export function parseLabelsCsv(text: string): { labels: Map<string, string>; problems: string[] } {
  const labels = new Map<string, string>();
  const problems: string[] = [];
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  lines.forEach((line, k) => {
    const cells = line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    if (k === 0 && /^(file|filename|image|path|name)$/i.test(cells[0])) return;
    if (cells.length < 2 || !cells[0] || !cells[1]) {
      problems.push(`labels CSV line ${k + 1}: expected "file,label", got "${line.slice(0, 60)}"`);
      return;
    }
    labels.set(cells[0].split('/').pop()!, cells[1]);
  });
  return { labels, problems };
}

export function scanImport(files: ScannedFile[], source: ImportPreview['source'], csv?: string): ImportPreview {
  const counts = new Map<string, number>();
  const problems: string[] = [];
  let images = 0;
  let skipped = 0;
  let unlabelled = 0;
  const fromCsv = csv != null ? parseLabelsCsv(csv) : null;
  if (fromCsv) problems.push(...fromCsv.problems.slice(0, 5));
  for (const f of files) {
    if (!IMAGE.test(f.path)) { skipped++; continue; }
    if (f.size === 0) { problems.push(`${f.path} is empty`); skipped++; continue; }
    images++;
    const parts = f.path.split('/').filter(Boolean);
    const base = parts[parts.length - 1];
    const cls = fromCsv ? fromCsv.labels.get(base) : parts.length >= 2 ? parts[parts.length - 2] : undefined;
    if (!cls) { unlabelled++; continue; }
    counts.set(cls, (counts.get(cls) ?? 0) + 1);
  }
  if (!images) problems.push('no images found (PNG, JPEG, GIF, BMP or WebP)');
  if (images && counts.size < 2 && !unlabelled) problems.push('only one class found: put each class in its own sub-folder, or add a labels CSV');
  return { source, images, skipped, classes: [...counts].sort((a, b) => a[0].localeCompare(b[0])), unlabelled, problems };
}
