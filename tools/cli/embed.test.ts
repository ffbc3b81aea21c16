import { describe, it, expect, vi, beforeEach, afterAll } from 'vitest';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embed, listImages, outputPaths } from './embed.ts';
import { concepts } from './concepts.ts';
import { activations } from './activations.ts';
import { parseNpy } from '../../src/core/io/npy.ts';
import { unloadAll } from '../../src/ml/clip.ts';

const FIX = join(import.meta.dirname, '../../tests/fixtures/images');
const MODEL = join(import.meta.dirname, '../../models/tiny-clip');
let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
});
afterAll(() => unloadAll());

function folder(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'embed-cli-'));
  mkdirSync(join(dir, 'imgs/sub'), { recursive: true });
  names.forEach((n, i) => cpSync(join(FIX, n), join(dir, 'imgs', i % 2 ? 'sub' : '', n)));
  return dir;
}
const npy = (p: string) => parseNpy(new Uint8Array(readFileSync(p)));

describe('concept-studio embed / concepts / activations', () => {
  it('embeds a folder to N×R×D with ids, skipping bad files with a message, and re-runs incrementally', async () => {
    const dir = folder(['rgb_odd.png', 'not_an_image.jpg', 'gray.png', 'exif6.jpg', 'anim.gif']);
    const o = join(dir, 'emb.npy');
    expect(listImages(join(dir, 'imgs'))).toEqual(['anim.gif', 'gray.png', 'rgb_odd.png', 'sub/exif6.jpg', 'sub/not_an_image.jpg']);
    await embed.run([join(dir, 'imgs'), '--model', MODEL, '--regions', '4', '--out', o]);
    const a = npy(o);
    expect(a.shape).toEqual([4, 5, 16]);
    expect(readFileSync(join(dir, 'emb.ids.txt'), 'utf8')).toBe('anim.gif\ngray.png\nrgb_odd.png\nsub/exif6.jpg\n');
    expect(err.join('')).toMatch(/skipped sub\/not_an_image\.jpg: not a supported image/);
    expect(out.join('')).toMatch(/\(4×5×16\), 4 embedded, 0 reused, 1 failed/);
    expect(existsSync(outputPaths(o).partial)).toBe(false);

    cpSync(join(FIX, 'big.png'), join(dir, 'imgs/big.png'));
    out = [];
    await embed.run([join(dir, 'imgs'), '--model', MODEL, '--regions', '4', '--out', o]);
    expect(out.join('')).toMatch(/\(5×5×16\), 1 embedded, 4 reused, 1 failed/);
    const b = npy(o);
    // anim.gif stays row 0 and keeps its numbers.
    expect(Array.from(b.data.subarray(0, 80))).toEqual(Array.from(a.data.subarray(0, 80)));

    await expect(embed.run([join(dir, 'imgs'), '--model', MODEL, '--regions', '9', '--out', o])).rejects.toThrow(/made with other settings/);
  });

  it('resumes an interrupted run from its partial files', async () => {
    const dir = folder(['rgb_odd.png', 'gray.png', 'big.png']);
    const o = join(dir, 'emb.npy');
    await embed.run([join(dir, 'imgs'), '--model', MODEL, '--out', o]);
    const full = npy(o);
    const ids = readFileSync(join(dir, 'emb.ids.txt'), 'utf8').split('\n').filter(Boolean);
    // Fake a run killed after two images (plus a torn third row): partial files, no final output.
    const p = outputPaths(o);
    writeFileSync(p.partial, new Uint8Array(Float32Array.from(full.data.subarray(0, 2 * 16 + 5)).buffer));
    writeFileSync(p.partialIds, ids.slice(0, 2).join('\n') + '\n');
    rmSync(o);
    rmSync(p.ids);
    out = [];
    await embed.run([join(dir, 'imgs'), '--model', MODEL, '--out', o]);
    expect(out.join('')).toMatch(/\(3×1×16\), 1 embedded, 2 reused, 0 failed/);
    expect(Array.from(npy(o).data)).toEqual(Array.from(full.data));
  });

  it('concepts with a template ensemble, then activations', async () => {
    const dir = folder(['rgb_odd.png', 'gray.png']);
    writeFileSync(join(dir, 'concepts.txt'), '# test\nred\nstriped fur\n\nwheel\n');
    await concepts.run(['--model', MODEL, '--concepts', join(dir, 'concepts.txt'), '--template', 'a photo of {}', '--template', 'a close-up of {concept}', '--out', join(dir, 'c.npy')]);
    const c = npy(join(dir, 'c.npy'));
    expect(c.shape).toEqual([3, 16]);
    for (let j = 0; j < 3; j++) expect(Math.hypot(...c.data.subarray(j * 16, (j + 1) * 16))).toBeCloseTo(1, 5);
    await embed.run([join(dir, 'imgs'), '--model', MODEL, '--regions', '4', '--out', join(dir, 'e.npy')]);
    await activations.run(['--images', join(dir, 'e.npy'), '--concepts', join(dir, 'c.npy'), '--out', join(dir, 'A.npy')]);
    const A = npy(join(dir, 'A.npy'));
    expect(A.shape).toEqual([2, 3]);
    // Check one entry by hand: max(0, max over regions of the cosine).
    const e = npy(join(dir, 'e.npy'));
    let best = -Infinity;
    for (let r = 0; r < 5; r++) {
      let dot = 0;
      for (let d = 0; d < 16; d++) dot += e.data[r * 16 + d] * c.data[16 + d];
      best = Math.max(best, dot);
    }
    expect(A.data[1]).toBeCloseTo(Math.max(0, best), 5);
  });

  it('clear errors for bad input', async () => {
    await expect(embed.run(['/nonexistent', '--model', MODEL])).rejects.toThrow(/is not a folder/);
    const dir = folder(['gray.png']);
    await expect(embed.run([join(dir, 'imgs'), '--model', 'no-such-model', '--out', join(dir, 'x.npy')])).rejects.toThrow(/Could not load model "no-such-model"/);
    await expect(embed.run([join(dir, 'imgs'), '--model', MODEL, '--regions', '3'])).rejects.toThrow(/--regions must be 1, 4 or 9/);
  });
});
