/**
 * Number encoding of the student export (METHODS.md §9 asks us to pick one and document it).
 *
 * DECISION: plain JSON number arrays, flat and row-major (a C×M matrix is C·M numbers, row c
 * = class c), each number written as a short decimal (≤ 9 significant digits) that reads back to
 * the identical float32 (`Math.fround(parsed) === value`; see shortestFloat32).
 * Why not base64 Float32:
 * - anyone can read the file with any JSON library and no decoding step, which keeps the
 *   reference predictor in the README at ~30 lines in any language;
 * - validation can point at one element (`student.W[1043]: expected a finite number, got null`);
 * - the round-trip form is lossless for float32 and costs ≈9–11 characters per number
 *   (base64 would be 5.3): the files are ~2× larger, which is acceptable for a student of
 *   C×M weights (plus k members) that compresses well anyway.
 * NaN and ±Infinity cannot appear (JSON has no such numbers); the exporter refuses them.
 */

/** Identifier of the chosen encoding, for docs and tooling. */
export const NUMBER_ENCODING = 'json-number-float32-roundtrip' as const;

/**
 * A short decimal (as a JS number) that rounds to the same float32 as `x`: the shortest one
 * when it has ≤ 6 significant digits (values people type, like 0.3, stay "0.3" rather than
 * "0.30000001"), else 8 or 9 digits (9 always suffice for float32). Skipping the exact 7-digit
 * search saves ~5× time on fitted weights for ≈1 character on some numbers. Only candidates
 * that round-trip are ever returned, so decoding is always bit-exact.
 */
export function shortestFloat32(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) throw new RangeError(`cannot encode ${x}: JSON numbers must be finite`);
  if (f === 0) return 0; // also maps -0 to 0: JSON.stringify writes -0 as 0 anyway
  let v = Number(f.toPrecision(6));
  if (Math.fround(v) === f) {
    for (let p = 5; p >= 1; p--) {
      const w = Number(f.toPrecision(p));
      if (Math.fround(w) !== f) break;
      v = w;
    }
    return v;
  }
  v = Number(f.toPrecision(8));
  return Math.fround(v) === f ? v : Number(f.toPrecision(9));
}

/** Float32Array → JSON numbers (lossless for float32, see NUMBER_ENCODING). */
export function encodeF32(a: ArrayLike<number>): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = shortestFloat32(a[i]);
  return out;
}

/** JSON numbers → Float32Array; exact inverse of encodeF32 for float32 inputs. */
export function decodeF32(a: readonly number[]): Float32Array {
  return Float32Array.from(a);
}

/**
 * JSON text with number arrays kept on one line and objects indented: diffable and readable
 * without one-number-per-line blow-up. Parses back identically to JSON.stringify's output.
 */
export function stringifyCompact(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`cannot write ${value} to JSON`);
    return JSON.stringify(value) ?? 'null';
  }
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => typeof v === 'number')) return '[' + value.map((v) => stringifyCompact(v)).join(',') + ']';
    return '[\n' + value.map((v) => inner + stringifyCompact(v, inner)).join(',\n') + '\n' + indent + ']';
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return '{\n' + entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringifyCompact(v, inner)}`).join(',\n') + '\n' + indent + '}';
}
