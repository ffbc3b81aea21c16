/**
 * Seeded train / held-out split. Metrics are only ever reported on the held-out part
 * (METHODS.md §4), so the split must be reproducible from (labels, fraction, seed) alone: it is
 * recorded by its seed, not by its index lists.
 */
import { mulberry32, permutation } from '../math/rng.ts';

export interface Split {
  /** Ascending image indices used for distillation. */
  train: Int32Array;
  /** Ascending image indices kept for metrics. */
  heldOut: Int32Array;
}

export interface SplitOptions {
  /** Share of images held out (0 < f < 1, default 0.2). */
  heldOutFraction?: number;
  seed?: number;
}

/**
 * Split N images, stratified by teacher label when labels are given (each class — and the
 * group of images with a negative label — is split on its own, so a rare class is present on
 * both sides whenever it has at least two images). Within a stratum the held-out count is
 * round(f·n), clamped to 1..n−1 for n ≥ 2; a single image goes to training.
 */
export function trainHeldOutSplit(labelsOrN: ArrayLike<number> | number, options: SplitOptions = {}): Split {
  const f = options.heldOutFraction ?? 0.2;
  if (!(f > 0 && f < 1)) throw new Error(`held-out fraction must be between 0 and 1 (exclusive), got ${f}`);
  const rng = mulberry32(options.seed ?? 0);
  const N = typeof labelsOrN === 'number' ? labelsOrN : labelsOrN.length;
  const strata = new Map<number, number[]>();
  for (let i = 0; i < N; i++) {
    const raw = typeof labelsOrN === 'number' ? 0 : labelsOrN[i];
    const key = raw >= 0 ? raw : -1;
    let s = strata.get(key);
    if (!s) strata.set(key, (s = []));
    s.push(i);
  }
  // Visit strata in label order so the random stream, hence the split, does not depend on the
  // order in which classes first appear.
  const keys = [...strata.keys()].sort((a, b) => a - b);
  const held = new Uint8Array(N);
  for (const key of keys) {
    const members = strata.get(key)!;
    const n = members.length;
    let h = Math.round(f * n);
    if (n >= 2) h = Math.min(n - 1, Math.max(1, h));
    else h = 0;
    const perm = permutation(rng, n);
    for (let k = 0; k < h; k++) held[members[perm[k]]] = 1;
  }
  const train: number[] = [];
  const heldOut: number[] = [];
  for (let i = 0; i < N; i++) (held[i] ? heldOut : train).push(i);
  return { train: Int32Array.from(train), heldOut: Int32Array.from(heldOut) };
}
