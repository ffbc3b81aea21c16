/**
 * `npx tsx tools/bench/decode.ts`: CPU milliseconds per image for the studio's CPU work per photo —
 * decoding (src/data/images) and CLIP preprocessing at 224 (src/ml/preprocess.ts: resize,
 * centre crop, rescale, normalise) — on 800×600 photo-like images in five encodings: the JPEGs
 * `npm run bench:embed` uses (jpeg-js, 4:4:4, quality 85), baseline 4:2:0 and progressive 4:2:0
 * JPEGs (sharp, quality 85) and two PNGs (sharp: unfiltered rows, and adaptive filtering as most
 * encoders write), generated at bench time into a temp folder, never committed.
 *
 * Options:
 *   --against <git rev>  also time the decoder and preprocessing of that revision in the same
 *                        run (turn by turn, so machine load hits both alike), print the ratio,
 *                        and check both give identical bytes and floats.
 *   --pil                check every decoded image against PIL (Debian's /usr/bin/python3) byte
 *                        for byte.
 *   --png-inflate zlib|fflate|stream  how this tree inflates PNG data (default: what Node uses,
 *                        node:zlib; `stream` is DecompressionStream, what browsers and workers
 *                        use — slow in Node, ~1.8× faster than fflate in Chromium; `fflate` is
 *                        the pure-JS fallback).
 *   --only <text>        only the inputs whose kind contains <text> (e.g. progressive, PNG).
 *   --images N (default 8) --rounds N (default 5) --size WxH (default 800x600) --json
 * Run under `node --cpu-prof --import tsx tools/bench/decode.ts` to see where the time goes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import sharp from 'sharp';
type Sharp = ReturnType<typeof sharp>;
import { decodeImage } from '../../src/data/images/index.ts';
import { decodeJpeg } from '../../src/data/images/jpeg.ts';
import { decodePng, nativeInflate, nodeInflate, setPngInflate } from '../../src/data/images/png.ts';
import { preprocessBatch, preprocessConfigFromJson, type RgbImage } from '../../src/ml/preprocess.ts';
import { writeBenchPhotos } from './embedPhotos.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const N = Number(opt('--images', '8'));
const ROUNDS = Number(opt('--rounds', '5'));
const [W, H] = opt('--size', '800x600').split('x').map(Number);
const AGAINST = opt('--against', '');
const PIL = argv.includes('--pil');
const JSON_OUT = argv.includes('--json');
const cfg = preprocessConfigFromJson({ size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 } });

type DecodeJpeg = (b: Uint8Array, maxPixels: number) => RgbImage;
type DecodePng = (b: Uint8Array) => RgbImage | Promise<RgbImage>;
type Preprocess = typeof preprocessBatch;
interface Impl { name: string; decodeJpeg: DecodeJpeg; decodePng: DecodePng; preprocess: Preprocess }
const PNG_INFLATE = opt('--png-inflate', 'zlib');
setPngInflate({ zlib: nodeInflate, fflate: null, stream: nativeInflate }[PNG_INFLATE] ?? nodeInflate);

/** The decoder and preprocessing files of a git revision, copied into a temp folder and imported. */
async function implAt(rev: string): Promise<Impl> {
  // Inside node_modules/.cache, so the copies resolve their npm imports (jpeg-js) like the originals.
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'node_modules/.cache/decode-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'images'));
  const files = execFileSync('git', ['ls-tree', '--name-only', rev, 'src/data/images/'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => /\/(jpeg\w*|png|types)\.ts$/.test(f));
  for (const f of files) writeFileSync(join(dir, 'images', f.split('/').at(-1)!), execFileSync('git', ['show', `${rev}:${f}`], { cwd: ROOT }));
  writeFileSync(join(dir, 'preprocess.ts'), execFileSync('git', ['show', `${rev}:src/ml/preprocess.ts`], { cwd: ROOT }));
  const j = (await import(join(dir, 'images', 'jpeg.ts'))) as { decodeJpeg: DecodeJpeg };
  const g = (await import(join(dir, 'images', 'png.ts'))) as { decodePng: DecodePng };
  const p = (await import(join(dir, 'preprocess.ts'))) as { preprocessBatch: Preprocess };
  return { name: rev.slice(0, 12), decodeJpeg: j.decodeJpeg, decodePng: g.decodePng, preprocess: p.preprocessBatch };
}

interface Input { kind: string; files: Uint8Array[] }

async function inputs(): Promise<Input[]> {
  const dir = join(tmpdir(), 'concept-studio-bench', `photos-${W}x${H}`);
  const benchJpegs = writeBenchPhotos(dir, N, W, H).map((f) => new Uint8Array(readFileSync(f)));
  const variant = async (name: string, make: (rgb: Sharp) => Sharp) =>
    Promise.all(benchJpegs.map(async (b, i) => {
      const f = join(dir, `${name}-${String(i).padStart(3, '0')}`);
      if (!existsSync(f)) {
        const d = jpeg.decode(b, { useTArray: true, formatAsRGBA: false });
        writeFileSync(f, await make(sharp(Buffer.from(d.data.buffer, d.data.byteOffset, d.data.length), { raw: { width: d.width, height: d.height, channels: 3 } })).toBuffer());
      }
      return new Uint8Array(readFileSync(f));
    }));
  return [
    { kind: 'JPEG 4:4:4 baseline (bench:embed photos)', files: benchJpegs },
    { kind: 'JPEG 4:2:0 baseline', files: await variant('base420.jpg', (s) => s.jpeg({ quality: 85, chromaSubsampling: '4:2:0' })) },
    { kind: 'JPEG 4:2:0 progressive', files: await variant('prog420.jpg', (s) => s.jpeg({ quality: 85, chromaSubsampling: '4:2:0', progressive: true })) },
    { kind: 'PNG (RGB, 8-bit)', files: await variant('photo.png', (s) => s.png()) },
    { kind: 'PNG (RGB, 8-bit, adaptive filters)', files: await variant('adaptive.png', (s) => s.png({ adaptiveFiltering: true })) },
  ];
}

/** PIL's RGB bytes of a file (the reference the decoder must equal). */
function pilRgb(bytes: Uint8Array): Uint8Array {
  const py = 'import sys,io\nfrom PIL import Image\nsys.stdout.buffer.write(Image.open(io.BytesIO(sys.stdin.buffer.read())).convert("RGB").tobytes())';
  return new Uint8Array(execFileSync('/usr/bin/python3', ['-c', py], { input: bytes, maxBuffer: 1 << 28 }));
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** CPU time of this process (user + system), ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main() {
  const ins = (await inputs()).filter((i) => i.kind.includes(opt('--only', '')));
  const impls: Impl[] = [{ name: 'this tree', decodeJpeg, decodePng, preprocess: preprocessBatch }];
  if (AGAINST) impls.push(await implAt(AGAINST));
  const rows: { input: string; impl: string; decodeMs: number; preprocessMs: number }[] = [];
  const problems: string[] = [];
  for (const input of ins) {
    const isJpeg = input.kind.startsWith('JPEG');
    const decoded = await Promise.all(input.files.map((b, i) => decodeImage(b, `#${i}`)));
    // Correctness first: every implementation gives the same bytes (and PIL's, with --pil).
    for (const [i, b] of input.files.entries()) {
      if (PIL && !sameBytes(decoded[i].data, pilRgb(b))) problems.push(`${input.kind} #${i}: differs from PIL`);
      for (const impl of impls.slice(1)) {
        const theirs = isJpeg ? impl.decodeJpeg(b, 1e9) : await impl.decodePng(b);
        if (!sameBytes(theirs.data, decoded[i].data)) problems.push(`${input.kind} #${i}: decode differs from ${impl.name}`);
        const a = preprocessBatch([decoded[i]], cfg).data, c = impl.preprocess([decoded[i]], cfg).data;
        if (!a.every((v, k) => Object.is(v, c[k]))) problems.push(`${input.kind} #${i}: preprocess differs from ${impl.name}`);
      }
    }
    // Turn by turn: each round times every implementation on every image. Per image the fastest
    // round counts (other processes on a shared machine only ever add time), then the mean.
    // Timed in this process's CPU time, which others' load on a shared machine barely touches.
    const dec = impls.map(() => input.files.map(() => Infinity));
    const pre = impls.map(() => input.files.map(() => Infinity));
    for (let r = 0; r < ROUNDS + 1; r++) {
      for (const [k, impl] of impls.entries()) {
        for (const [i, b] of input.files.entries()) {
          let t0 = cpuMs();
          if (isJpeg) impl.decodeJpeg(b, 1e9);
          else await impl.decodePng(b);
          const d = cpuMs() - t0;
          t0 = cpuMs();
          impl.preprocess([decoded[i]], cfg);
          const p = cpuMs() - t0;
          if (r > 0) { // round 0 warms up the JIT
            dec[k][i] = Math.min(dec[k][i], d);
            pre[k][i] = Math.min(pre[k][i], p);
          }
        }
      }
    }
    for (const [k, impl] of impls.entries()) rows.push({ input: input.kind, impl: impl.name, decodeMs: mean(dec[k]), preprocessMs: mean(pre[k]) });
  }
  if (JSON_OUT) {
    process.stdout.write(JSON.stringify({ bench: 'decode', size: `${W}x${H}`, images: N, rounds: ROUNDS, rows, problems }) + '\n');
    return;
  }
  console.log(`CPU ms per ${W}×${H} image (mean over ${N} images of each one's fastest of ${ROUNDS} rounds)${PIL ? '; decoded bytes checked against PIL' : ''}; PNG inflate: ${PNG_INFLATE}`);
  console.log(`${'input'.padEnd(42)}${'code'.padEnd(14)}${'decode'.padStart(8)}${'preprocess 224'.padStart(16)}${'total'.padStart(8)}`);
  for (const r of rows) {
    console.log(`${r.input.padEnd(42)}${r.impl.padEnd(14)}${r.decodeMs.toFixed(2).padStart(8)}${r.preprocessMs.toFixed(2).padStart(16)}${(r.decodeMs + r.preprocessMs).toFixed(2).padStart(8)}`);
  }
  if (impls.length > 1) {
    console.log(`\nthis tree ÷ ${impls[1].name} (same run):`);
    for (const input of ins) {
      const [a, b] = rows.filter((r) => r.input === input.kind);
      console.log(`  ${input.kind.padEnd(40)} decode ${(a.decodeMs / b.decodeMs).toFixed(2)}×  preprocess ${(a.preprocessMs / b.preprocessMs).toFixed(2)}×  total ${((a.decodeMs + a.preprocessMs) / (b.decodeMs + b.preprocessMs)).toFixed(2)}×`);
    }
  }
  console.log(problems.length ? `\nPROBLEMS:\n  ${problems.join('\n  ')}` : `\noutputs identical${impls.length > 1 ? ` to ${AGAINST}` : ''}${PIL ? ' and to PIL' : ''} on every image`);
  if (problems.length) process.exitCode = 1;
}

await main();
