/**
 * Content hash for weight snapshots: 64-bit FNV-1a over bytes, written out as 16 hex digits
 * behind a `fnv1a64:` prefix so a future change of algorithm cannot be mistaken for a match.
 *
 * Why FNV-1a: it is tiny, has public test vectors, needs no dependency, and is fast enough for
 * weight arrays (a 100k-float ensemble hashes in a few ms). It is NOT cryptographic: the refs
 * only deduplicate and identify our own snapshots, nobody attacks them.
 *
 * 64-bit arithmetic is done in two 32-bit halves with plain doubles (every intermediate stays
 * below 2^53), because BigInt is ~50× slower per byte.
 */

import type { Ensemble } from '../types.ts';

const OFFSET_HI = 0xcbf29ce4;
const OFFSET_LO = 0x84222325;
/** FNV-64 prime = 2^40 + 0x1b3. */
const PRIME_LO = 0x1b3;

/** Incremental FNV-1a 64: feed byte chunks, then read `hex()`. */
export class Fnv1a64 {
  private hi = OFFSET_HI;
  private lo = OFFSET_LO;

  update(bytes: Uint8Array): this {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < bytes.length; i++) {
      lo = (lo ^ bytes[i]) >>> 0;
      // (hi·2^32 + lo) · (2^40 + 0x1b3) mod 2^64:
      //   low word  = lo·0x1b3 mod 2^32
      //   high word = hi·0x1b3 + carry(lo·0x1b3) + (lo << 8)   (the 2^40 term only reaches the high word)
      const l = lo * PRIME_LO;
      const carry = Math.floor(l / 4294967296);
      hi = (hi * PRIME_LO + carry + ((lo << 8) >>> 0)) % 4294967296;
      lo = l % 4294967296;
    }
    this.hi = hi;
    this.lo = lo;
    return this;
  }

  /** Feed a uint32 in little-endian byte order (used for shape headers). */
  updateUint32(v: number): this {
    return this.update(new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]));
  }

  /** Feed the IEEE-754 bytes of a Float32Array, always in little-endian order. */
  updateFloat32(arr: Float32Array): this {
    return this.update(float32BytesLE(arr));
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The bytes of a Float32Array in little-endian order (a view when the platform already is). */
export function float32BytesLE(arr: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  const out = new Uint8Array(arr.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < arr.length; i++) dv.setFloat32(i * 4, arr[i], true);
  return out;
}

/** FNV-1a 64 of raw bytes as 16 hex digits (no prefix). */
export function fnv1a64Hex(bytes: Uint8Array): string {
  return new Fnv1a64().update(bytes).hex();
}

/** Prefix of every weights ref; the part after it is the 16-hex-digit FNV-1a 64 hash. */
export const WEIGHTS_REF_PREFIX = 'fnv1a64:';

/** Content hash of Float32Arrays (their LE bytes, each preceded by its length). */
export function hashFloat32(...arrays: Float32Array[]): string {
  const h = new Fnv1a64();
  for (const a of arrays) h.updateUint32(a.length).updateFloat32(a);
  return WEIGHTS_REF_PREFIX + h.hex();
}

/**
 * The content ref of an ensemble: shape header (C, M, k) then the bytes of served W and b, every
 * member's W and b, lo and hi. Two ensembles have the same ref iff (barring collisions) they are
 * bit-identical, so refs deduplicate snapshots in the history store.
 */
export function ensembleRef(e: Ensemble): string {
  const h = new Fnv1a64();
  h.updateUint32(e.served.C).updateUint32(e.served.M).updateUint32(e.members.length);
  const parts = [e.served.W, e.served.b, ...e.members.flatMap((m) => [m.W, m.b]), e.lo, e.hi];
  for (const a of parts) h.updateUint32(a.length).updateFloat32(a);
  return WEIGHTS_REF_PREFIX + h.hex();
}
