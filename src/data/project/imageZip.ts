/**
 * A zip of images (one folder per class, or loose images plus a labels CSV) as a list of files.
 * The same guards as the project file (projectFile.ts): size and entry-count limits against zip
 * bombs, and no entry with an absolute path, a `..` segment, a backslash or a drive letter.
 * Only images and CSV files are decompressed at all; macOS metadata (__MACOSX/, ._*) is ignored.
 */
import { DEFAULT_LIMITS, unzipGuarded, type ReadLimits } from './projectFile.ts';

export interface ZipFileEntry {
  /** Path inside the zip, '/'-separated. */
  path: string;
  bytes: Uint8Array;
}

export type ImageZipResult =
  | { ok: true; images: ZipFileEntry[]; csv: ZipFileEntry | null; ignored: number }
  | { ok: false; error: string };

const IMAGE = /\.(png|jpe?g|gif|bmp|webp)$/i;

export function readImageZip(bytes: Uint8Array, zipName: string, limits: ReadLimits = DEFAULT_LIMITS): ImageZipResult {
  const fail = (why: string): ImageZipResult => ({ ok: false, error: `${zipName}: ${why}` });
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) return fail('not a zip file');
  let ignored = 0;
  const unzipped = unzipGuarded(bytes, limits, (name) => {
    const base = name.split('/').pop() ?? '';
    const wanted = !name.endsWith('/') && !name.startsWith('__MACOSX/') && !base.startsWith('._') && (IMAGE.test(base) || /\.csv$/i.test(base));
    if (!wanted && !name.endsWith('/')) ignored++;
    return wanted;
  });
  if (!unzipped.ok) return fail(unzipped.problem);
  const files = unzipped.files;
  const names = Object.keys(files).sort((a, b) => a.localeCompare(b));
  const csvs = names.filter((n) => /\.csv$/i.test(n));
  if (csvs.length > 1) return fail(`holds ${csvs.length} CSV files (${csvs.slice(0, 3).join(', ')}); keep one labels CSV`);
  const images = names.filter((n) => IMAGE.test(n)).map((path) => ({ path, bytes: files[path] }));
  return { ok: true, images, csv: csvs.length ? { path: csvs[0], bytes: files[csvs[0]] } : null, ignored };
}
