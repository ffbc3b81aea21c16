import { describe, expect, it } from 'vitest';
import { zipSync, strToU8 } from 'fflate';
import { readImageZip } from './imageZip.ts';

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

describe('zip of images', () => {
  it('keeps images and one labels CSV, ignores other files and macOS metadata', () => {
    const z = zipSync({ 'set/cat/a.png': png, 'set/dog/b.JPG': png, 'set/labels.csv': strToU8('file,label\n'), 'set/readme.md': strToU8('hi'), '__MACOSX/set/._a.png': png, 'set/._b.png': png });
    const r = readImageZip(z, 'pets.zip');
    if (!r.ok) throw new Error(r.error);
    expect(r.images.map((e) => e.path)).toEqual(['set/cat/a.png', 'set/dog/b.JPG']);
    expect(r.images[0].bytes).toEqual(png);
    expect(r.csv?.path).toBe('set/labels.csv');
    expect(r.ignored).toBe(3);
  });

  it('refuses what is not a zip, unsafe names, too many entries, too many bytes and two CSVs, naming the file', () => {
    expect(readImageZip(png, 'x.zip')).toEqual({ ok: false, error: 'x.zip: not a zip file' });
    const evil = zipSync({ 'a.png': png });
    // Rewrite the entry name in both headers to "../a.png"-length-equal "..//.png".
    const bytes = evil.slice();
    const name = new TextEncoder().encode('a.png');
    const bad = new TextEncoder().encode('../ap');
    for (let i = 0; i + name.length <= bytes.length; i++) if (name.every((b, k) => bytes[i + k] === b)) bytes.set(bad, i);
    const r = readImageZip(bytes, 'evil.zip');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^evil\.zip: entry '\.\.\/ap' has a "\.\." segment/);
    const many = zipSync(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`${i}.png`, png])));
    expect(readImageZip(many, 'm.zip', { maxEntries: 10, maxTotalBytes: 1e9 })).toMatchObject({ ok: false, error: 'm.zip: more than 10 entries; refusing the file' });
    const big = zipSync({ 'a.png': new Uint8Array(5000), 'b.png': new Uint8Array(5000) });
    expect(readImageZip(big, 'b.zip', { maxEntries: 10, maxTotalBytes: 8000 })).toMatchObject({ ok: false, error: expect.stringMatching(/^b\.zip: it would unpack to more than/) });
    expect(readImageZip(zipSync({ 'a.csv': png, 'b.csv': png }), 'c.zip')).toMatchObject({ ok: false, error: expect.stringMatching(/holds 2 CSV files/) });
    expect(readImageZip(new Uint8Array([0x50, 0x4b, ...new Uint8Array(40)]), 'd.zip')).toMatchObject({ ok: false, error: expect.stringMatching(/^d\.zip: the zip is damaged/) });
  });
});
