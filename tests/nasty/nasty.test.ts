/**
 * Every file in the nasty corpus (tests/nasty/, tools/fixtures/makeNasty.ts) goes through its
 * importer: bad ones must be refused with their importer's own, specific message and leave an
 * open project untouched; awkward-but-valid ones (BOM, CRLF, quotes) must be read.
 * Plus the inputs too big to commit, made here in memory: a zip with 300k entries and
 * demo-cache arrays that are short, non-finite or out of range.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { judge, loadCases } from './run.ts';
import { importProjectZip } from '../../src/state/projectZip.ts';
import { smallStore } from '../../tools/fixtures/makeNasty.ts';
import { parseLabelsCsv } from '../../src/state/importScan.ts';
import { parseDemoLabels } from '../../src/state/demoProject.ts';
import { decodeDemoArray, parseDemoCacheManifest, DemoCacheError } from '../../src/data/demo/cache.ts';

const cases = loadCases();

describe('nasty inputs: each refused cleanly and specifically', () => {
  it('the corpus covers every importer', () => {
    expect(new Set(cases.map((c) => c.importer))).toEqual(new Set(['image', 'npy', 'student', 'projectZip', 'labelsCsv', 'demoLabelsCsv', 'teacher', 'demoCache', 'embeddings']));
  });
  it.each(cases.map((c) => [c.file, c] as const))('%s', async (_f, c) => {
    const v = await judge(c);
    expect(v.ok, `${c.file} (${c.why}): ${v.why}`).toBe(true);
  });
});

/**
 * A zip of `n` empty stored entries, written directly (fflate's zipSync is slow at this size).
 * More than 65,535 entries need the ZIP64 end records, which carry the real count.
 */
function manyEntryZip(n: number): Uint8Array {
  const names = Array.from({ length: n }, (_, i) => new TextEncoder().encode(`thumbs/${i}`));
  const nameBytes = names.reduce((s, b) => s + b.length, 0);
  const out = new Uint8Array(n * (30 + 46) + 2 * nameBytes + 56 + 20 + 22);
  const v = new DataView(out.buffer);
  let o = 0;
  const offsets: number[] = [];
  for (const nm of names) {
    offsets.push(o);
    v.setUint32(o, 0x04034b50, true); v.setUint16(o + 4, 20, true); v.setUint16(o + 26, nm.length, true);
    out.set(nm, o + 30); o += 30 + nm.length;
  }
  const cd = o;
  names.forEach((nm, i) => {
    v.setUint32(o, 0x02014b50, true); v.setUint16(o + 4, 45, true); v.setUint16(o + 6, 20, true);
    v.setUint16(o + 28, nm.length, true); v.setUint32(o + 42, offsets[i], true);
    out.set(nm, o + 46); o += 46 + nm.length;
  });
  const cdSize = o - cd;
  const z64 = o; // ZIP64 end of central directory record
  v.setUint32(o, 0x06064b50, true); v.setBigUint64(o + 4, 44n, true); v.setUint16(o + 12, 45, true); v.setUint16(o + 14, 45, true);
  v.setBigUint64(o + 24, BigInt(n), true); v.setBigUint64(o + 32, BigInt(n), true);
  v.setBigUint64(o + 40, BigInt(cdSize), true); v.setBigUint64(o + 48, BigInt(cd), true);
  o += 56;
  v.setUint32(o, 0x07064b50, true); v.setBigUint64(o + 8, BigInt(z64), true); v.setUint32(o + 16, 1, true); // locator
  o += 20;
  v.setUint32(o, 0x06054b50, true);
  v.setUint16(o + 8, 0xffff, true); v.setUint16(o + 10, 0xffff, true);
  v.setUint32(o + 12, 0xffffffff, true); v.setUint32(o + 16, 0xffffffff, true);
  return out;
}

describe('nasty inputs made in memory', () => {
  it('a zip with 300,000 entries is refused without unpacking it, and the project stays', () => {
    const store = smallStore();
    const before = store.getState().session;
    const t0 = performance.now();
    const r = importProjectZip(store.getState(), manyEntryZip(300_000), 'many.zip');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/many\.zip: more than 250,000 entries; refusing the file/);
    expect(store.getState().session).toBe(before);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('demo cache arrays: short, NaN, out-of-range labels and non-probabilities are refused', () => {
    const m = parseDemoCacheManifest(readFileSync(resolve(import.meta.dirname, '../../public/demo/cache/cache.json'), 'utf8'));
    const f32 = (n: number, fill: number) => new Uint8Array(new Float32Array(n).fill(fill).buffer);
    const bad: [Parameters<typeof decodeDemoArray>[1], Uint8Array, RegExp][] = [
      ['labels', f32(m.N - 1, 0), /has \d+ bytes but cache\.json says/],
      ['labels', f32(m.N, NaN), /value 0 is NaN/],
      ['labels', f32(m.N, m.C), /expected −1 or a class index/],
      ['labels', f32(m.N, 0.5), /label of image 0 is 0\.5/],
      ['teacherProbabilities', f32(m.N * m.C, 1), /sum to/],
      ['teacherProbabilities', f32(m.N * m.C, -0.1), /not a probability/],
      ['activations', f32(m.N * m.M, 2), /outside \[0, 1\]/],
      ['activations', f32(m.N * m.M, Infinity), /value 0 is Infinity/],
      ['labels', new Uint8Array(m.N * 4 - 1), /has \d+ bytes/],
    ];
    for (const [name, bytes, re] of bad) {
      expect(() => decodeDemoArray(m, name, bytes)).toThrow(DemoCacheError);
      expect(() => decodeDemoArray(m, name, bytes)).toThrow(re);
    }
  });

  it('awkward but valid CSVs are read exactly', () => {
    expect([...parseLabelsCsv('\ufefffile,label\r\na.png,ok\r\nb.png,rusty\r\n').labels]).toEqual([['a.png', 'ok'], ['b.png', 'rusty']]);
    expect([...parseLabelsCsv('file,label\n"a, the first.png","ok"\n"b.png","rusty ""bad"""\n').labels]).toEqual([['a, the first.png', 'ok'], ['b.png', 'rusty "bad"']]);
    expect(parseLabelsCsv('a.png,ok\na.png,ok\n').problems).toEqual([]); // the same line twice is harmless
    const d = parseDemoLabels('\ufeffid,file,set,condition\r\na,a.jpg,distill,ok\r\nb,b.jpg,holdout,\r\n', ['ok', 'rusty'], '/d/');
    expect(d.ids).toEqual(['a', 'b']);
    expect(Array.from(d.labels)).toEqual([0, -1]);
  });
});
