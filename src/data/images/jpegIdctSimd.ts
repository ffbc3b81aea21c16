/**
 * The WebAssembly SIMD build of the islow IDCT (jpegIdct.wat): the same bytes as idctBlock's int32
 * path; an 800×600 baseline photo decodes in ~7.6 ms instead of ~9.5 (tools/bench/decode.ts). The decoder keeps a block's coefficients at bytes 0–255 of
 * the module's memory and its component planes from PLANES_AT, so a block costs one call and no
 * copies. Where WebAssembly SIMD is missing (or a caller turns it off) the decoder keeps the JS
 * IDCT.
 */
import { compiledModule } from './jpegIdctWasm.ts';

export interface IdctWasm {
  memory: WebAssembly.Memory;
  /** The block at bytes 0–255 (64 i32, natural order) → 8 rows of 8 samples at `out`, `stride` apart. */
  idct(out: number, stride: number): void;
}

/** Where the decoder's planes start in the module's memory (below: the block and scratch). */
export const PLANES_AT = 2048;

let instance: IdctWasm | null = null;
let enabled = true;

/** Whether the IDCT runs in WebAssembly SIMD (present, and not turned off by setSimdIdct). */
export function simdIdctAvailable(): boolean {
  return enabled && compiledModule() !== null;
}

/** Turns the SIMD IDCT off or on (tests and benchmarks compare both). */
export function setSimdIdct(on: boolean): void {
  enabled = on;
}

/** This thread's instance, its memory grown to at least `bytes`; null when not available. */
export function idctWasm(bytes = 0): IdctWasm | null {
  if (!simdIdctAvailable()) return null;
  const w = (instance ??= new WebAssembly.Instance(compiledModule()!).exports as unknown as IdctWasm);
  const have = w.memory.buffer.byteLength;
  if (have < bytes) w.memory.grow(Math.ceil((bytes - have) / 65536));
  return w;
}
