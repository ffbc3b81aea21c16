/**
 * The WebAssembly SIMD build of the JPEG decoder's arithmetic (jpegSimd.wat): the islow IDCT
 * (the same bytes as idctBlock's int32 path) and the YCbCr→RGB conversion of 4:4:4 and of 4:2:0
 * with fancy upsampling (the same bytes as jpegColor.ts). The decoder keeps a block's coefficients
 * at bytes 0–255 of the module's memory and its component planes from PLANES_AT, so a block costs
 * one call and no copies. An 800×600 photo decodes in 4.6 ms (4:2:0) or 6.5 ms (4:4:4) instead
 * of 9.2 and 10.0 (tools/bench/decode.ts). Where WebAssembly SIMD is missing (or a caller turns
 * it off) the decoder keeps its JS.
 */
import { compiledModule } from './jpegSimdWasm.ts';
import type { PlaneInfo } from './jpegColor.ts';
import type { RgbImage } from './types.ts';

export interface JpegWasm {
  memory: WebAssembly.Memory;
  /** The block at bytes 0–255 (64 i32, natural order) → 8 rows of 8 samples at `out`, `stride` apart. */
  idct(out: number, stride: number): void;
  rgbH1v1(yp: number, bp: number, rp: number, stride: number, W: number, H: number, out: number): void;
  rgbH2v2(yp: number, bp: number, rp: number, ystride: number, cstride: number, W: number, H: number, w: number, h: number, out: number, bufB: number, bufR: number): void;
}

/** Where the decoder's planes start in the module's memory (below: the block and scratch). */
export const PLANES_AT = 2048;

const align = (n: number) => (n + 64 + 15) & ~15; // 64 bytes of slack after each region, 16-aligned

/** Bytes of the module's memory a decode needs: planes, then the RGB output and two row buffers. */
export function memoryFor(planes: number, W: number, H: number): number {
  return PLANES_AT + align(planes) + align(W * H * 3) + 2 * align(2 * W);
}

/**
 * YCbCr planes in the module's memory → RGB (a fresh array), for the layouts jpegColor.ts's
 * fusedLayout names: the same bytes as its h1v1Rgb and h2v2Rgb.
 */
export function rgbSimd(w: JpegWasm, layout: 'h1v1' | 'h2v2', comps: PlaneInfo[], W: number, H: number): RgbImage {
  const [Y, Cb, Cr] = comps;
  const out = PLANES_AT + align(comps.reduce((a, c) => a + c.plane.length, 0)); // after the planes, as memoryFor lays out
  const n = W * H * 3;
  if (layout === 'h1v1') w.rgbH1v1(Y.plane.byteOffset, Cb.plane.byteOffset, Cr.plane.byteOffset, Y.bpl * 8, W, H, out);
  else {
    const bufB = out + align(n);
    w.rgbH2v2(Y.plane.byteOffset, Cb.plane.byteOffset, Cr.plane.byteOffset, Y.bpl * 8, Cb.bpl * 8, W, H, Math.ceil(W / 2), Math.ceil(H / 2), out, bufB, bufB + align(2 * W));
  }
  return { width: W, height: H, data: new Uint8Array(w.memory.buffer).slice(out, out + n) };
}

let instance: JpegWasm | null = null;
let enabled = true;

/** Whether the decoder uses WebAssembly SIMD (present, and not turned off by setSimdJpeg). */
export function simdJpegAvailable(): boolean {
  return enabled && compiledModule() !== null;
}

/** Turns the SIMD module off or on (tests and benchmarks compare both). */
export function setSimdJpeg(on: boolean): void {
  enabled = on;
}

/**
 * Memory kept between decodes up to this size (a 12-megapixel 4:2:0 photo needs ~54 MB); a bigger
 * image gets an instance of its own. Keeping it matters: a fresh memory's first-touch page faults
 * made a 12 MP decode 180 ms instead of 109 (JS: 207).
 */
const KEEP_BYTES = 64 << 20;

/**
 * An instance whose memory holds at least `bytes`: this thread's shared one, or for an image
 * above KEEP_BYTES one of its own, dropped after that decode; null when SIMD is not available
 * or the memory cannot grow (the decoder then keeps its JS).
 */
export function jpegWasm(bytes = 0): JpegWasm | null {
  if (!simdJpegAvailable()) return null;
  try {
    const make = () => new WebAssembly.Instance(compiledModule()!).exports as unknown as JpegWasm;
    const w = bytes > KEEP_BYTES ? make() : (instance ??= make());
    const have = w.memory.buffer.byteLength;
    if (have < bytes) w.memory.grow(Math.ceil((bytes - have) / 65536));
    return w;
  } catch {
    return null;
  }
}

/**
 * Lets a kept memory above 16 MB go (big photos grew it), through jpegDecoder's trimJpegMemory;
 * true when it did.
 */
export function trimJpegWasm(): boolean {
  if (!instance || instance.memory.buffer.byteLength <= 16 << 20) return false;
  instance = null;
  return true;
}

/** Whether `w` is the instance kept between decodes (not a big image's own). */
export function isSharedJpegWasm(w: JpegWasm): boolean {
  return w === instance;
}
