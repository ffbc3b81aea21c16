/**
 * `npx tsx tools/bench/embeddingImport.ts [--json]`: how long reading + checking precomputed
 * embeddings takes (src/data/project/embeddingImport.ts), in Node, for CLI-style .npy files and
 * parquet files of growing size. Prints one line per case: rows, file size, median of 3 runs, and
 * MB/s. The browser runs the same code on the main thread of the Project view.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readEmbeddingImport } from '../../src/data/project/embeddingImport.ts';
import { writeNpy } from '../../src/core/io/npy.ts';
import { mulberry32, randNormal } from '../../src/core/math/rng.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function unit(rows: number, D: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const out = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += (out[r * D + d] = randNormal(rng)) ** 2;
    const n = Math.sqrt(s);
    for (let d = 0; d < D; d++) out[r * D + d] /= n;
  }
  return out;
}

async function time(files: { name: string; bytes: Uint8Array }[]): Promise<number> {
  const ms: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const r = await readEmbeddingImport(files);
    ms.push(performance.now() - t0);
    if (!r.ok) throw new Error(r.problems.join());
  }
  return ms.sort((a, b) => a - b)[1];
}

const rows: { case: string; N: number; R: number; D: number; MB: number; ms: number; MBps: number }[] = [];
for (const [N, R, D] of [[10_000, 1, 512], [50_000, 1, 512], [5_000, 5, 512], [2_000, 10, 768]] as const) {
  const data = unit(N * R, D, N);
  const npy = writeNpy(data, R === 1 ? [N, D] : [N, R, D]);
  const ids = enc(Array.from({ length: N }, (_, i) => `class${i % 5}/img${i}.jpg`).join('\n') + '\n');
  const ms = await time([{ name: 'emb.npy', bytes: npy }, { name: 'emb.ids.txt', bytes: ids }]);
  rows.push({ case: 'npy+ids', N, R, D, MB: npy.length / 1e6, ms, MBps: npy.length / 1e6 / (ms / 1000) });
}
for (const N of [2_000, 10_000]) {
  const D = 512;
  const data = unit(N, D, N);
  const emb = Array.from({ length: N }, (_, i) => Array.from(data.subarray(i * D, (i + 1) * D)));
  const pq = new Uint8Array(parquetWriteBuffer({
    columnData: [{ name: 'image_path', data: Array.from({ length: N }, (_, i) => `c${i % 5}/img${i}.jpg`) }, { name: 'embedding', data: emb }],
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'image_path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'embedding', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'OPTIONAL' },
    ],
  }));
  const ms = await time([{ name: 'emb.parquet', bytes: pq }]);
  rows.push({ case: 'parquet', N, R: 1, D, MB: pq.length / 1e6, ms, MBps: pq.length / 1e6 / (ms / 1000) });
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 1));
else {
  console.log('case      N        R   D     file MB   median ms   MB/s');
  for (const r of rows) console.log(`${r.case.padEnd(10)}${String(r.N).padEnd(9)}${String(r.R).padEnd(4)}${String(r.D).padEnd(6)}${r.MB.toFixed(1).padEnd(10)}${r.ms.toFixed(0).padEnd(12)}${r.MBps.toFixed(0)}`);
  console.log(`(Node ${process.version}, ${(await import('node:os')).cpus().length} cores shared with other work; median of 3 runs)`);
}
