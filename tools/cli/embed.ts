/**
 * `concept-studio embed <folder>`: CLIP image embeddings of a folder on any machine, with the
 * same src/ml code as the studio (onnxruntime-node here), so the studio can import the result.
 *
 * Output: <out> = float32 .npy of shape (N, R, D) — region 0 is the full image, then the grid
 * crops row by row — plus <out minus .npy>.ids.txt (one path per row, relative to the folder)
 * and .meta.json (model, dtype, regions, and each file's SHA-256).
 *
 * Resumable: every finished batch is appended to <out>.partial (raw float32) and
 * <out>.partial.ids; a re-run reuses those and any previous complete output whose model, dtype,
 * regions and file hashes match, and embeds only what is new or changed.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { Command } from './command.ts';
import { parse, num } from './command.ts';
import { CliError, writeAtomic } from './io.ts';
import { writeNpy, parseNpy } from '../../src/core/io/npy.ts';
import { decodeImage, setPlatformDecoder } from '../../src/data/images/index.ts';
import { regionCount } from '../../src/ml/preprocess.ts';
import { sharpDecoder } from './embedSharp.ts';
import { loadModelForCli, MODEL_OPTIONS } from './embedModel.ts';

const IMAGE_EXT = /\.(png|jpe?g|gif|bmp|webp)$/i;

/** Image files under a folder, recursively, as sorted relative paths (stable row order). */
export function listImages(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (IMAGE_EXT.test(name)) out.push(relative(folder, p).split('\\').join('/'));
    }
  };
  walk(folder);
  return out;
}

export function outputPaths(out: string) {
  const stem = out.replace(/\.npy$/i, '');
  return { npy: out, ids: `${stem}.ids.txt`, meta: `${stem}.meta.json`, partial: `${out}.partial`, partialIds: `${out}.partial.ids` };
}

interface Meta {
  model: string;
  dtype: string;
  grid: number;
  pad: boolean;
  R: number;
  D: number;
  hashes: Record<string, string>;
}

const sameSettings = (a: Meta, b: Omit<Meta, 'hashes' | 'D'> & { D?: number }) =>
  a.model === b.model && a.dtype === b.dtype && a.grid === b.grid && a.pad === b.pad && a.R === b.R && (b.D === undefined || a.D === b.D);

/** Rows already computed, by file id, from a previous complete output and/or an interrupted run. */
function previousRows(paths: ReturnType<typeof outputPaths>, settings: Omit<Meta, 'hashes' | 'D'>): { meta: Meta | null; rows: Map<string, Float32Array> } {
  const rows = new Map<string, Float32Array>();
  if (!existsSync(paths.meta)) return { meta: null, rows };
  const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as Meta;
  if (!sameSettings(meta, settings)) {
    throw new CliError(`${paths.meta} was made with other settings (model ${meta.model}, ${meta.dtype}, grid ${meta.grid}${meta.pad ? ', pad' : ''}); choose another --out or delete it`);
  }
  const per = meta.R * meta.D;
  if (existsSync(paths.npy) && existsSync(paths.ids)) {
    const ids = readFileSync(paths.ids, 'utf8').split('\n').filter(Boolean);
    const arr = parseNpy(new Uint8Array(readFileSync(paths.npy)), basename(paths.npy));
    if (arr.data.length === ids.length * per) ids.forEach((id, i) => rows.set(id, Float32Array.from(arr.data.subarray(i * per, (i + 1) * per))));
  }
  if (existsSync(paths.partial) && existsSync(paths.partialIds)) {
    const ids = readFileSync(paths.partialIds, 'utf8').split('\n').filter(Boolean);
    const raw = readFileSync(paths.partial);
    // A run killed mid-write leaves a torn last row: keep only whole rows that have an id.
    const whole = Math.min(ids.length, Math.floor(raw.length / (per * 4)));
    const f = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + whole * per * 4));
    for (let i = 0; i < whole; i++) rows.set(ids[i], f.slice(i * per, (i + 1) * per));
  }
  return { meta, rows };
}

function progressLine(done: number, total: number, cached: number, failed: number, t0: number, computed: number): string {
  const secs = (Date.now() - t0) / 1000;
  const rate = computed / Math.max(secs, 1e-3);
  const eta = rate > 0 ? Math.round((total - done) / rate) : null;
  return `embed: ${done}/${total} (${cached} reused, ${failed} failed) ${rate.toFixed(1)} img/s${eta !== null ? ` ETA ${eta}s` : ''}`;
}

export const embed: Command = {
  name: 'embed',
  summary: 'CLIP image embeddings of a folder → N×R×D .npy + ids (resumable)',
  usage: [
    'usage: concept-studio embed <folder> --model <id|folder> [--regions 1|4|9] [--pad] [--out emb.npy]',
    '                           [--batch 8] [--device cpu] [--dtype fp32|fp16|q8] [--allow-download]',
    '',
    '  --regions  1: full image only (R=1); 4: plus a 2×2 grid (R=5); 9: plus a 3×3 grid (R=10).',
    '             Grid crops overlap by a third of a crop; region 0 is always the full image.',
    '  --pad      pad each region to a square (mean colour) instead of centre-cropping it.',
    '  --model    a registry/hub id (Xenova/clip-vit-base-patch32, …), a folder name under models/,',
    '             or a path to a model folder. Hub downloads only with --allow-download.',
    'Writes <out>, <out stem>.ids.txt and .meta.json. Re-running skips images already embedded.',
  ].join('\n'),
  async run(argv) {
    const { values, positionals } = parse(argv, {
      ...MODEL_OPTIONS,
      regions: { type: 'string' },
      pad: { type: 'boolean' },
      out: { type: 'string' },
      batch: { type: 'string' },
    }, ['model'], true);
    if (positionals.length !== 1) throw new CliError('give exactly one image folder');
    const folder = resolve(positionals[0]);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new CliError(`${positionals[0]} is not a folder`);
    const regions = num(values.regions, 'regions', 1);
    if (![1, 4, 9].includes(regions)) throw new CliError(`--regions must be 1, 4 or 9, got ${values.regions}`);
    const grid = Math.sqrt(regions) as 1 | 2 | 3;
    const pad = !!values.pad;
    const batch = num(values.batch, 'batch', 8, 1, 256);
    const paths = outputPaths(resolve(values.out ?? 'emb.npy'));
    const files = listImages(folder);
    if (files.length === 0) throw new CliError(`no images (png, jpg, gif, bmp, webp) in ${positionals[0]}`);

    setPlatformDecoder(sharpDecoder);
    const model = await loadModelForCli(values);
    const R = regionCount(grid);
    const D = model.dim;
    const settings = { model: model.id, dtype: model.dtype, grid, pad, R };
    const { rows } = previousRows(paths, settings);
    process.stderr.write(`embed: ${files.length} images, ${model.id} on ${model.device}/${model.dtype} (${model.reason}), R=${R}, D=${D}\n`);

    const hashes: Record<string, string> = {};
    const oldMeta = existsSync(paths.meta) ? (JSON.parse(readFileSync(paths.meta, 'utf8')) as Meta) : null;
    // Write the settings first, so an interrupted run can be resumed and checked.
    writeAtomic(paths.meta, JSON.stringify({ ...settings, D, hashes: oldMeta?.hashes ?? {} } satisfies Meta, null, 1));
    if (!existsSync(paths.partial)) {
      writeFileSync(paths.partial, new Uint8Array(0));
      writeFileSync(paths.partialIds, '');
    }
    const result = new Map<string, Float32Array>();
    const failed: string[] = [];
    let cached = 0;
    let computed = 0;
    const t0 = Date.now();
    const tty = process.stderr.isTTY;
    let lastLine = 0;
    for (let start = 0; start < files.length; start += batch) {
      const todo: { id: string; img: Awaited<ReturnType<typeof decodeImage>> }[] = [];
      for (const id of files.slice(start, start + batch)) {
        const bytes = new Uint8Array(readFileSync(join(folder, id)));
        const hash = createHash('sha256').update(bytes).digest('hex');
        hashes[id] = hash;
        const prev = rows.get(id);
        if (prev && oldMeta?.hashes[id] === hash && prev.length === R * D) {
          result.set(id, prev);
          cached++;
          continue;
        }
        try {
          todo.push({ id, img: await decodeImage(bytes, id) });
        } catch (e) {
          failed.push((e as Error).message);
          process.stderr.write(`${tty ? '\r\x1b[K' : ''}skipped ${(e as Error).message}\n`);
        }
      }
      if (todo.length) {
        const emb = await model.embedImages(todo.map((t) => t.img), { grid, pad });
        todo.forEach((t, k) => result.set(t.id, emb.slice(k * R * D, (k + 1) * R * D)));
        appendFileSync(paths.partial, new Uint8Array(emb.buffer, emb.byteOffset, emb.byteLength));
        appendFileSync(paths.partialIds, todo.map((t) => t.id + '\n').join(''));
        // Record the hashes of what is now in the partial file, so a resume trusts only those.
        writeAtomic(paths.meta, JSON.stringify({ ...settings, D, hashes: { ...oldMeta?.hashes, ...hashes } } satisfies Meta, null, 1));
        computed += todo.length;
      }
      const done = Math.min(start + batch, files.length);
      if (Date.now() - lastLine > 500 || done === files.length) {
        lastLine = Date.now();
        const line = progressLine(done, files.length, cached, failed.length, t0, computed);
        process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
      }
    }
    if (tty) process.stderr.write('\n');
    const ids = files.filter((id) => result.has(id));
    const data = new Float32Array(ids.length * R * D);
    ids.forEach((id, i) => data.set(result.get(id)!, i * R * D));
    writeAtomic(paths.npy, writeNpy(data, [ids.length, R, D]));
    writeAtomic(paths.ids, ids.map((id) => id + '\n').join(''));
    writeAtomic(paths.meta, JSON.stringify({ ...settings, D, hashes: Object.fromEntries(ids.map((id) => [id, hashes[id]])) } satisfies Meta, null, 1));
    rmSync(paths.partial, { force: true });
    rmSync(paths.partialIds, { force: true });
    await model.dispose();
    process.stdout.write(`wrote ${relative(process.cwd(), paths.npy) || paths.npy} (${ids.length}×${R}×${D}), ${computed} embedded, ${cached} reused, ${failed.length} failed\n`);
  },
};
