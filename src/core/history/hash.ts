/**
 * Content hash for weight snapshots: 64-bit FNV-1a over bytes, written out as 16 hex digits
 * behind a `fnv1a64:` prefix so a future change of algorithm cannot be mistaken for a match.
 *
 * Why FNV-1a: it is tiny, has public test vectors, needs no dependency, and is fast enough for
 * weight arrays (a 100k-float ensemble hashes in a few ms). It is NOT cryptographic: the refs
 * only deduplicate and identify our own snapshots, nobody attacks them.
 *
 * 64-bit arithmetic is done in 16-bit limbs with small integers, because BigInt is far slower
 * per byte.
 */

import type { Ensemble } from '../types.ts';

/** Incremental FNV-1a 64: feed byte chunks, then read `hex()`. */
export class Fnv1a64 {
  // The 64-bit state as four 16-bit limbs (h0 lowest), offset basis 0xcbf29ce484222325. Limbs
  // keep every intermediate a small integer (V8 Smi), ~10× faster than doubles with % 2^32.
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  update(bytes: Uint8Array): this {
    let h0 = this.h0;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    for (let i = 0; i < bytes.length; i++) {
      h0 ^= bytes[i];
      // h · (2^40 + 0x1b3) mod 2^64: the 0x1b3 part limb by limb; the 2^40 part moves limbs
      // 0 and 1 up by 40 bits = two limbs plus 8 bits.
      const t0 = h0 * 0x1b3;
      const t1 = h1 * 0x1b3 + (t0 >>> 16);
      const t2 = h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
      const t3 = h3 * 0x1b3 + (h1 << 8) + (t2 >>> 16);
      h0 = t0 & 0xffff;
      h1 = t1 & 0xffff;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
    }
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
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
    return [this.h3, this.h2, this.h1, this.h0].map((h) => h.toString(16).padStart(4, '0')).join('');
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
