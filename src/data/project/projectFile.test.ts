import { describe, expect, it } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import { packProject, PROJECT_FORMAT, unpackProject, unsafeEntryName } from './projectFile.ts';

const sample = () => {
  const raw = new Float32Array([0.5, -1.25, 3, 1e-7, 2, 0]);
  return {
    raw,
    payload: {
      name: 'demo', classes: ['a', 'b'], raw, again: raw, labels: new Int32Array([0, 1, -1]), isTest: new Uint8Array([1, 0, 1]),
      nested: { history: [{ W: new Float32Array([1, 2]), at: 5 }], f64: new Float64Array([Math.PI]), sizes: new Uint32Array([640, 480]) },
      nothing: null,
    },
  };
};

function manifestOf(zip: Uint8Array): Record<string, unknown> {
  const r = unpackProject(zip);
  if (!r.ok) throw new Error(r.error);
  return r.value.payload as Record<string, unknown>;
}

describe('project file (zip: project.json + raw little-endian arrays + thumbnails)', () => {
  it('round-trips typed arrays bit-exactly, shares repeated arrays, keeps thumbnails', () => {
    const { raw, payload } = sample();
    const zip = packProject({ generator: 'test', payload, shapes: new Map([[raw, [3, 2]]]), thumbs: [{ bytes: new Uint8Array([137, 80, 78, 71]), ext: 'png' }, null, null] });
    const r = unpackProject(zip);
    if (!r.ok) throw new Error(r.error);
    const p = r.value.payload as typeof payload;
    expect(p.raw).toBeInstanceOf(Float32Array);
    expect(Array.from(p.raw)).toEqual(Array.from(raw));
    expect(p.again).toBe(p.raw);
    expect(Array.from(p.labels)).toEqual([0, 1, -1]);
    expect(p.isTest).toBeInstanceOf(Uint8Array);
    expect(p.nested.f64[0]).toBe(Math.PI);
    expect(Array.from(p.nested.sizes)).toEqual([640, 480]);
    expect(p.nested.history[0].W).toBeInstanceOf(Float32Array);
    expect(p.nothing).toBeNull();
    expect(r.value.thumbs?.[0]?.ext).toBe('png');
    expect(r.value.thumbs?.[1]).toBeNull();
  });

  it('stores arrays as raw little-endian files with dtype and shape in project.json', async () => {
    const { raw, payload } = sample();
    const zip = packProject({ generator: 'test', payload, shapes: new Map([[raw, [3, 2]]]) });
    const { unzipSync } = await import('fflate');
    const files = unzipSync(zip);
    const m = JSON.parse(new TextDecoder().decode(files['project.json']));
    expect(m.format).toBe(PROJECT_FORMAT);
    const e = m.arrays[m.payload.raw.$array];
    expect(e).toMatchObject({ dtype: 'f32', length: 6, shape: [3, 2] });
    const bytes = files[e.path];
    expect(new DataView(bytes.buffer, bytes.byteOffset).getFloat32(4, true)).toBe(-1.25);
  });

  it('refuses non-finite numbers when writing', () => {
    expect(() => packProject({ generator: 't', payload: { x: Number.NaN } })).toThrow(/NaN/);
  });

  const zipOf = (files: Record<string, Uint8Array>) => zipSync(files);
  const manifest = (over: Record<string, unknown> = {}) => strToU8(JSON.stringify({
    format: PROJECT_FORMAT, version: 1, generator: 'x', createdAt: 'now', arrays: [], thumbs: null, payload: {}, ...over,
  }));

  it('refuses path traversal and absolute names, naming the entry', () => {
    for (const name of ['../evil.txt', 'arrays/../../x', '/etc/passwd', 'C:/x', 'a\\b']) expect(unsafeEntryName(name)).not.toBeNull();
    expect(unsafeEntryName('arrays/0001.f32')).toBeNull();
    const r = unpackProject(zipOf({ 'project.json': manifest(), '../evil.txt': strToU8('x') }));
    expect(r).toEqual({ ok: false, error: `entry '../evil.txt' has a ".." segment; refusing the file` });
  });

  it('refuses zip bombs by declared total size and by entry count', () => {
    const big = zipSync({ 'project.json': manifest(), 'arrays/0000.u8': [new Uint8Array(5_000_000), { level: 9 }] });
    expect(big.length).toBeLessThan(50_000); // compresses ~1000:1
    const r = unpackProject(big, { maxTotalBytes: 1_000_000, maxEntries: 100 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('it would unpack to more than 1000000 bytes; refusing the file');
    const many: Record<string, Uint8Array> = { 'project.json': manifest() };
    for (let i = 0; i < 20; i++) many[`thumbs/${i}.png`] = new Uint8Array(1);
    const r2 = unpackProject(zipOf(many), { maxTotalBytes: 1e9, maxEntries: 10 });
    expect(r2).toEqual({ ok: false, error: 'more than 10 entries; refusing the file' });
  });

  it('gives specific messages for each kind of damage', () => {
    expect(unpackProject(strToU8('{"format":1}'))).toEqual({ ok: false, error: 'not a zip file (a project file is the .zip the studio exports)' });
    expect(unpackProject(zipOf({ 'x.txt': strToU8('x') }))).toMatchObject({ error: 'project.json is missing: this is not a project file' });
    expect(unpackProject(zipOf({ 'project.json': strToU8('{oops') }))).toMatchObject({ error: expect.stringMatching(/^project.json is not valid JSON/) });
    expect(unpackProject(zipOf({ 'project.json': manifest({ version: 7 }) }))).toMatchObject({ error: 'project.json has version 7; this studio reads up to 1' });
    expect(unpackProject(zipOf({ 'project.json': manifest({ format: 'other' }) }))).toMatchObject({ error: expect.stringMatching(/^project.json: format:/) });
    const arr = { path: 'arrays/0000.f32', dtype: 'f32', length: 3, shape: [3] };
    expect(unpackProject(zipOf({ 'project.json': manifest({ arrays: [arr] }) }))).toMatchObject({ error: 'project.json arrays[0] (arrays/0000.f32): the file is missing from the zip' });
    expect(unpackProject(zipOf({ 'project.json': manifest({ arrays: [arr] }), 'arrays/0000.f32': new Uint8Array(8) })))
      .toMatchObject({ error: 'project.json arrays[0] (arrays/0000.f32): holds 8 bytes but 3 f32 values need 12' });
    expect(unpackProject(zipOf({ 'project.json': manifest({ arrays: [{ ...arr, shape: [2, 2] }] }), 'arrays/0000.f32': new Uint8Array(12) })))
      .toMatchObject({ error: 'project.json arrays[0] (arrays/0000.f32): shape [2, 2] has 4 values but the array has 3' });
    const nan = new Uint8Array(new Float32Array([0, Number.NaN, 1]).buffer);
    expect(unpackProject(zipOf({ 'project.json': manifest({ arrays: [arr] }), 'arrays/0000.f32': nan })))
      .toMatchObject({ error: 'project.json arrays[0] (arrays/0000.f32): value 1 is NaN, not a finite number' });
    expect(unpackProject(zipOf({ 'project.json': manifest({ payload: { a: { $array: 2 } } }) })))
      .toMatchObject({ error: 'project.json payload.a: refers to array 2, but the file lists 0' });
    const zip = packProject({ generator: 't', payload: { a: 1 } });
    expect(unpackProject(zip.slice(0, zip.length - 30))).toMatchObject({ ok: false, error: expect.stringMatching(/damaged/) });
  });

  it('round-trips a payload without arrays', () => {
    expect(manifestOf(packProject({ generator: 't', payload: { a: [1, 'x', true] } }))).toEqual({ a: [1, 'x', true] });
  });
});
