/**
 * The WebAssembly SIMD build of resizeCropped's two passes (resample.wat): same integer
 * arithmetic as the JS loops in preprocess.ts, so the same bytes, in about a third of the time.
 * Where WebAssembly SIMD is missing (or a caller turns it off) preprocess.ts keeps its JS loops.
 */
import { compiledModule } from './resampleWasm.ts';

interface Exports {
  memory: WebAssembly.Memory;
  horizontal(src: number, rs: number, rows: number, out: number, ow: number, w: number, bounds: number, kk: number, ksize: number): void;
  vertical(mid: number, rowLen: number, h: number, out: number, bounds: number, kk: number, ksize: number): void;
}

/** One pass's fixed-point filter, as preprocess.ts computes it. */
export interface PassCoeffs {
  ksize: number;
  bounds: Int32Array;
  kk: Int32Array;
}

let shared: Exports | null = null;
let enabled = true;
/**
 * Memory kept between calls up to this size (a 12-megapixel photo needs ~37 MB); a bigger image
 * gets an instance of its own. A fresh memory's first-touch page faults made a 12 MP resize 48 ms
 * instead of 31.5 (JS: 98).
 */
const KEEP_BYTES = 64 << 20;
const PAGE = 65536;

/** Whether the SIMD passes are in use (WebAssembly SIMD present and not turned off). */
export function simdResampleAvailable(): boolean {
  return enabled && compiledModule() !== null;
}

/** Turns the SIMD passes off or on (tests and benchmarks compare both paths). */
export function setSimdResample(on: boolean): void {
  enabled = on;
}

/** Trimmed back to after a batch (trimSimdResample). */
const TRIM_BYTES = 16 << 20;

/**
 * Lets a kept memory above 16 MB go (big photos grew it): called after each batch, so a worker
 * holds at most that much between batches, while the images of one batch share the memory.
 */
export function trimSimdResample(): void {
  if (shared && shared.memory.buffer.byteLength > TRIM_BYTES) shared = null;
}

/** An instance with at least `bytes` of memory; null when the memory cannot grow (JS loops then). */
function instanceFor(bytes: number): Exports | null {
  try {
    const make = () => new WebAssembly.Instance(compiledModule()!).exports as unknown as Exports;
    const inst = bytes > KEEP_BYTES ? make() : (shared ??= make());
    const have = inst.memory.buffer.byteLength;
    if (have < bytes) inst.memory.grow(Math.ceil((bytes - have) / PAGE));
    return inst;
  } catch {
    return null;
  }
}

const align = (n: number) => (n + 16 + 15) & ~15; // 16 bytes of slack after every buffer, 16-aligned

/**
 * Rows [rowMin, rowMin + rows) of `src` (interleaved RGB, W0 wide) through the horizontal pass
 * (columns `h.bounds`/`h.kk`, already cut to the w output columns; or a plain column crop from
 * `left` when h is null) and the vertical pass (`v.bounds` relative to rowMin; or the first
 * `outH` rows of the intermediate when v is null). Returns w × outH RGB bytes, or null when the
 * module's memory cannot hold the image (the caller's JS loops then).
 */
export function resampleSimd(src: Uint8Array, W0: number, rowMin: number, rows: number, left: number, w: number, outH: number, h: PassCoeffs | null, v: PassCoeffs | null): Uint8Array | null {
  const rs = W0 * 3;
  const ow = w * 3;
  const srcLen = h ? rows * rs : 0;
  const midLen = rows * ow;
  const outLen = v ? outH * ow : 0;
  const hb = h ? h.bounds.length * 4 : 0, hk = h ? h.kk.length * 4 : 0;
  const vb = v ? v.bounds.length * 4 : 0, vk = v ? v.kk.length * 4 : 0;
  const oSrc = 0, oMid = oSrc + align(srcLen), oOut = oMid + align(midLen);
  const oHb = oOut + align(outLen), oHk = oHb + align(hb), oVb = oHk + align(hk), oVk = oVb + align(vb);
  const inst = instanceFor(oVk + align(vk));
  if (!inst) return null;
  const mem = inst.memory.buffer;
  const bytes = new Uint8Array(mem);
  if (h) {
    bytes.set(src.subarray(rowMin * rs, (rowMin + rows) * rs), oSrc);
    new Int32Array(mem, oHb, h.bounds.length).set(h.bounds);
    new Int32Array(mem, oHk, h.kk.length).set(h.kk);
    inst.horizontal(oSrc, rs, rows, oMid, ow, w, oHb, oHk, h.ksize);
  } else {
    for (let y = 0; y < rows; y++) bytes.set(src.subarray((rowMin + y) * rs + left * 3, (rowMin + y) * rs + (left + w) * 3), oMid + y * ow);
  }
  if (!v) return bytes.slice(oMid, oMid + outH * ow);
  new Int32Array(mem, oVb, v.bounds.length).set(v.bounds);
  new Int32Array(mem, oVk, v.kk.length).set(v.kk);
  inst.vertical(oMid, ow, outH, oOut, oVb, oVk, v.ksize);
  return bytes.slice(oOut, oOut + outLen);
}
