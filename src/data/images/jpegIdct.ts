/**
 * libjpeg-turbo's "islow" integer IDCT (jidctint.c: 13-bit constants, PASS1_BITS 2, columns then
 * rows, range-limited to 0..255 after +128), reproduced exactly, for one 8×8 block at a time.
 *
 * Fast path: int32 arithmetic on an Int32Array workspace, with the shortcuts that are exact for
 * islow — a DC-only block is one value; a column whose AC terms are zero is its DC × 4; a row
 * whose AC terms are zero is (DC + 16) >> 5 (both equal the full formula's result). int32 is exact
 * when the block's dequantised coefficients have |sum| ≤ 32767 (proof below), which every valid
 * 8-bit JPEG block satisfies (|sum| ≤ 8·‖block‖₂ + quantisation error ≤ 8192 + 64·127); anything
 * else (damaged files, 16-bit tables) takes the float64 path, which is exact for any input.
 *
 * Why 32767: every output of one islow pass is a linear combination Σ A·x with |A| ≤ 11363, so a
 * column of pass 1 gives |ws| ≤ 11363·S_col/2048 + ½ and a row of pass 2 sums to
 * |out| ≤ 11363·(11363·S/2048 + 4) + 2^17 + 128·2^18 < 2^31 for S ≤ 33522 — `>>` (ToInt32) is
 * then exact. (Intermediate sums may pass 2^31; JS numbers keep them exact, V8 merely leaves its
 * int32 fast path then.)
 */

// jidctint.c constants: FIX(x) = round(x · 2^13).
const F0298 = 2446, F0390 = 3196, F0541 = 4433, F0765 = 6270, F0899 = 7373, F1175 = 9633, F1501 = 12299,
  F1847 = 15137, F1961 = 16069, F2053 = 16819, F2562 = 20995, F3072 = 25172;

/** Largest sum of |dequantised coefficients| for which the int32 path is exact (see above). */
export const INT_SAFE_SUM = 32767;

/**
 * IDCT of one block of dequantised coefficients `c` (natural order, 64 entries from 0) into
 * `out` at `o` with row stride `stride` (a Uint8ClampedArray: stores clamp to 0..255, as the
 * range-limit table does for any valid block). `sum` is Σ|c| (or anything ≥ INT_SAFE_SUM + 1 when
 * unknown); `dcOnly` says all AC terms are zero; `low4` that every nonzero term lies in the
 * top-left 4×4 (rows and columns 0–3; about half the detailed blocks of a photo). `ws` is a
 * 64-entry scratch.
 */
export function idctBlock(c: Int32Array, sum: number, dcOnly: boolean, out: Uint8ClampedArray, o: number, stride: number, ws: Int32Array, low4 = false): void {
  if (dcOnly) {
    // DESCALE(DESCALE(dc << 13, 11) << 13, 18) = (dc + 4) >> 3, exact for any int32 dc.
    const v = ((c[0] + 4) >> 3) + 128;
    for (let r = 0; r < 8; r++, o += stride) {
      out[o] = v; out[o + 1] = v; out[o + 2] = v; out[o + 3] = v;
      out[o + 4] = v; out[o + 5] = v; out[o + 6] = v; out[o + 7] = v;
    }
    return;
  }
  if (sum > INT_SAFE_SUM) {
    idctBlockFloat(c, out, o, stride);
    return;
  }
  if (low4) {
    idctLow4(c, out, o, stride, ws);
    return;
  }
  // Pass 1: columns → ws (scaled by 2^PASS1_BITS).
  for (let col = 0; col < 8; col++) {
    const i1 = c[8 + col], i2 = c[16 + col], i3 = c[24 + col], i4 = c[32 + col], i5 = c[40 + col], i6 = c[48 + col], i7 = c[56 + col];
    if ((i1 | i2 | i3 | i4 | i5 | i6 | i7) === 0) {
      const dc = c[col] * 4;
      for (let r = col; r < 64; r += 8) ws[r] = dc;
      continue;
    }
    const i0 = c[col];
    let z1 = (i2 + i6) * F0541;
    const t2 = z1 - i6 * F1847, t3 = z1 + i2 * F0765;
    const t0 = (i0 + i4) * 8192, t1 = (i0 - i4) * 8192;
    const t10 = t0 + t3 + 1024, t13 = t0 - t3 + 1024, t11 = t1 + t2 + 1024, t12 = t1 - t2 + 1024;
    z1 = i7 + i1;
    const z2 = i5 + i3, z3 = i7 + i3, z4 = i5 + i1;
    const z5 = (z3 + z4) * F1175;
    const z3b = z5 - z3 * F1961, z4b = z5 - z4 * F0390, z1b = -z1 * F0899, z2b = -z2 * F2562;
    const a0 = i7 * F0298 + z1b + z3b, a1 = i5 * F2053 + z2b + z4b, a2 = i3 * F3072 + z2b + z3b, a3 = i1 * F1501 + z1b + z4b;
    ws[col] = (t10 + a3) >> 11;
    ws[56 + col] = (t10 - a3) >> 11;
    ws[8 + col] = (t11 + a2) >> 11;
    ws[48 + col] = (t11 - a2) >> 11;
    ws[16 + col] = (t12 + a1) >> 11;
    ws[40 + col] = (t12 - a1) >> 11;
    ws[24 + col] = (t13 + a0) >> 11;
    ws[32 + col] = (t13 - a0) >> 11;
  }
  // Pass 2: rows → samples (+128, clamped by the Uint8ClampedArray store).
  for (let w = 0; w < 64; w += 8, o += stride) {
    const i1 = ws[w + 1], i2 = ws[w + 2], i3 = ws[w + 3], i4 = ws[w + 4], i5 = ws[w + 5], i6 = ws[w + 6], i7 = ws[w + 7];
    const i0 = ws[w];
    if ((i1 | i2 | i3 | i4 | i5 | i6 | i7) === 0) {
      const v = ((i0 + 16) >> 5) + 128;
      out[o] = v; out[o + 1] = v; out[o + 2] = v; out[o + 3] = v;
      out[o + 4] = v; out[o + 5] = v; out[o + 6] = v; out[o + 7] = v;
      continue;
    }
    let z1 = (i2 + i6) * F0541;
    const t2 = z1 - i6 * F1847, t3 = z1 + i2 * F0765;
    // +2^17 rounds the final >> 18; +128 << 18 is CENTERJSAMPLE.
    const t0 = (i0 + i4) * 8192 + 33685504, t1 = (i0 - i4) * 8192 + 33685504;
    const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
    z1 = i7 + i1;
    const z2 = i5 + i3, z3 = i7 + i3, z4 = i5 + i1;
    const z5 = (z3 + z4) * F1175;
    const z3b = z5 - z3 * F1961, z4b = z5 - z4 * F0390, z1b = -z1 * F0899, z2b = -z2 * F2562;
    const a0 = i7 * F0298 + z1b + z3b, a1 = i5 * F2053 + z2b + z4b, a2 = i3 * F3072 + z2b + z3b, a3 = i1 * F1501 + z1b + z4b;
    out[o] = (t10 + a3) >> 18;
    out[o + 7] = (t10 - a3) >> 18;
    out[o + 1] = (t11 + a2) >> 18;
    out[o + 6] = (t11 - a2) >> 18;
    out[o + 2] = (t12 + a1) >> 18;
    out[o + 5] = (t12 - a1) >> 18;
    out[o + 3] = (t13 + a0) >> 18;
    out[o + 4] = (t13 - a0) >> 18;
  }
}

/**
 * islow for a block whose nonzero terms all lie in rows and columns 0–3: the same formulas with
 * inputs 4–7 set to zero, multiplied out (exact integer identities), so each 1-D transform needs
 * 7 multiplications instead of 12; columns 4–7 of pass 1 are all zero and never read.
 * Only called within the int32 bound.
 */
function idctLow4(c: Int32Array, out: Uint8ClampedArray, o: number, stride: number, ws: Int32Array): void {
  for (let col = 0; col < 4; col++) {
    const i0 = c[col], i1 = c[8 + col], i2 = c[16 + col], i3 = c[24 + col];
    if ((i1 | i2 | i3) === 0) {
      const dc = i0 * 4;
      for (let r = col; r < 64; r += 8) ws[r] = dc;
      continue;
    }
    const z1 = i2 * F0541, t3 = z1 + i2 * F0765, t0 = i0 * 8192 + 1024;
    const t10 = t0 + t3, t13 = t0 - t3, t11 = t0 + z1, t12 = t0 - z1;
    const z5 = (i3 + i1) * F1175;
    const a0 = z5 - i3 * F1961 - i1 * F0899, a1 = z5 - i1 * F0390 - i3 * F2562;
    const a2 = z5 + i3 * (F3072 - F2562 - F1961), a3 = z5 + i1 * (F1501 - F0899 - F0390);
    ws[col] = (t10 + a3) >> 11;
    ws[56 + col] = (t10 - a3) >> 11;
    ws[8 + col] = (t11 + a2) >> 11;
    ws[48 + col] = (t11 - a2) >> 11;
    ws[16 + col] = (t12 + a1) >> 11;
    ws[40 + col] = (t12 - a1) >> 11;
    ws[24 + col] = (t13 + a0) >> 11;
    ws[32 + col] = (t13 - a0) >> 11;
  }
  for (let w = 0; w < 64; w += 8, o += stride) {
    const i0 = ws[w], i1 = ws[w + 1], i2 = ws[w + 2], i3 = ws[w + 3];
    if ((i1 | i2 | i3) === 0) {
      const v = ((i0 + 16) >> 5) + 128;
      out[o] = v; out[o + 1] = v; out[o + 2] = v; out[o + 3] = v;
      out[o + 4] = v; out[o + 5] = v; out[o + 6] = v; out[o + 7] = v;
      continue;
    }
    const z1 = i2 * F0541, t3 = z1 + i2 * F0765, t0 = i0 * 8192 + 33685504;
    const t10 = t0 + t3, t13 = t0 - t3, t11 = t0 + z1, t12 = t0 - z1;
    const z5 = (i3 + i1) * F1175;
    const a0 = z5 - i3 * F1961 - i1 * F0899, a1 = z5 - i1 * F0390 - i3 * F2562;
    const a2 = z5 + i3 * (F3072 - F2562 - F1961), a3 = z5 + i1 * (F1501 - F0899 - F0390);
    out[o] = (t10 + a3) >> 18;
    out[o + 7] = (t10 - a3) >> 18;
    out[o + 1] = (t11 + a2) >> 18;
    out[o + 6] = (t11 - a2) >> 18;
    out[o + 2] = (t12 + a1) >> 18;
    out[o + 5] = (t12 - a1) >> 18;
    out[o + 3] = (t13 + a0) >> 18;
    out[o + 4] = (t13 - a0) >> 18;
  }
}

// ---------------------------------------------------------------------------------------------
// The float64 path: the same formulas on doubles — exact while every intermediate stays below
// 2^53, i.e. for any 16-bit coefficient with an 8-bit quantiser (|c| < 2^23), so for every
// damaged file with 8-bit tables (only absurd blocks with 16-bit quantisers could round).
// DESCALE(x, n) = floor((x + 2^(n-1)) / 2^n). Only damaged or unusual files come here.

const descale = (x: number, n: number) => Math.floor((x + 2 ** (n - 1)) / 2 ** n);

function islow1d(io: Float64Array, i0: number, i1: number, i2: number, i3: number, i4: number, i5: number, i6: number, i7: number, shift: number): void {
  let z1 = (i2 + i6) * F0541;
  const t2 = z1 - i6 * F1847, t3 = z1 + i2 * F0765;
  const t0 = (i0 + i4) * 8192, t1 = (i0 - i4) * 8192;
  const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
  z1 = i7 + i1;
  const z2 = i5 + i3, z3 = i7 + i3, z4 = i5 + i1;
  const z5 = (z3 + z4) * F1175;
  const z3b = z5 - z3 * F1961, z4b = z5 - z4 * F0390, z1b = -z1 * F0899, z2b = -z2 * F2562;
  const a0 = i7 * F0298 + z1b + z3b, a1 = i5 * F2053 + z2b + z4b, a2 = i3 * F3072 + z2b + z3b, a3 = i1 * F1501 + z1b + z4b;
  io[0] = descale(t10 + a3, shift); io[7] = descale(t10 - a3, shift);
  io[1] = descale(t11 + a2, shift); io[6] = descale(t11 - a2, shift);
  io[2] = descale(t12 + a1, shift); io[5] = descale(t12 - a1, shift);
  io[3] = descale(t13 + a0, shift); io[4] = descale(t13 - a0, shift);
}

const fws = new Float64Array(64);
const fio = new Float64Array(8);

function idctBlockFloat(c: Int32Array, out: Uint8ClampedArray, o: number, stride: number): void {
  for (let col = 0; col < 8; col++) {
    if (c[8 + col] === 0 && c[16 + col] === 0 && c[24 + col] === 0 && c[32 + col] === 0 && c[40 + col] === 0 && c[48 + col] === 0 && c[56 + col] === 0) {
      for (let r = 0; r < 8; r++) fws[r * 8 + col] = c[col] * 4;
      continue;
    }
    islow1d(fio, c[col], c[8 + col], c[16 + col], c[24 + col], c[32 + col], c[40 + col], c[48 + col], c[56 + col], 11);
    for (let r = 0; r < 8; r++) fws[r * 8 + col] = fio[r];
  }
  for (let r = 0; r < 8; r++, o += stride) {
    const w = r * 8;
    islow1d(fio, fws[w], fws[w + 1], fws[w + 2], fws[w + 3], fws[w + 4], fws[w + 5], fws[w + 6], fws[w + 7], 18);
    for (let x = 0; x < 8; x++) out[o + x] = fio[x] + 128; // clamped by the store
  }
}
