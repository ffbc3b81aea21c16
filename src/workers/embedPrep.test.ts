// Big photos grow the SIMD kernels' memories; prepareBatch lets them go once its thread has been
// idle for IDLE_TRIM_MS, not after each request (the 'burst' split sends one file per request).
import { afterEach, describe, expect, it, vi } from 'vitest';
import sharp from 'sharp';
import { IDLE_TRIM_MS, prepareBatch } from './embedPrep.ts';
import { decodeImage } from '../data/images/index.ts';
import { jpegWasm } from '../data/images/jpegSimd.ts';
import { preprocessConfigFromJson } from '../ml/preprocess.ts';

const cfg = preprocessConfigFromJson({ size: { shortest_edge: 32 }, crop_size: { height: 32, width: 32 } });
const jpegOf = async (W: number, H: number) =>
  new Uint8Array(await sharp({ create: { width: W, height: H, channels: 3, background: { r: 90, g: 140, b: 60 } } }).jpeg({ quality: 90 }).toBuffer());
const prepare = (bytes: Uint8Array) => prepareBatch([{ id: 'f', bytes }], cfg, { grid: 1 }, (b, n) => decodeImage(b, n));
const MB16 = 16 << 20;

describe('prepareBatch and the kernels\' memory', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps a big photo\'s memory while requests follow each other, and lets it go once idle', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const big = await jpegOf(2600, 2400); // ~28 MB of planes and output: grows the kept memory
    const small = await jpegOf(40, 30);
    expect((await prepare(big)).ok).toEqual([0]);
    expect(jpegWasm()!.memory.buffer.byteLength).toBeGreaterThan(MB16);
    vi.advanceTimersByTime(IDLE_TRIM_MS - 1); // the next request comes just in time
    expect((await prepare(small)).ok).toEqual([0]);
    vi.advanceTimersByTime(IDLE_TRIM_MS - 1);
    expect(jpegWasm()!.memory.buffer.byteLength).toBeGreaterThan(MB16);
    vi.advanceTimersByTime(1);
    expect(jpegWasm()!.memory.buffer.byteLength).toBeLessThan(MB16);
    expect((await prepare(small)).ok).toEqual([0]); // and decoding goes on
  });
});
