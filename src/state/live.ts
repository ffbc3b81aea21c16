/**
 * Live logits for quick edits (METHODS.md §5). Holds Z = â·Wᵀ + b for every image and the
 * student's argmax, and updates both in O(N) when one weight moves: z_ic += Δw·â_ij. The arrays
 * are mutated in place and a version number tells subscribers that they changed; copying a
 * 10k×C matrix on every pointer move would cost more than the update itself.
 *
 * Stand-in until core/tuning's incremental update lands; the maths is the same.
 */
import type { Dataset } from './types.ts';

export class LiveLogits {
  readonly N: number;
  readonly M: number;
  readonly C: number;
  readonly z: Float32Array;
  readonly pred: Int32Array;
  readonly W: Float32Array;
  readonly b: Float32Array;
  private readonly ahat: Float32Array;

  constructor(ds: Dataset, W: Float32Array, b: Float32Array) {
    this.N = ds.N;
    this.M = ds.M;
    this.C = ds.C;
    this.ahat = ds.ahat;
    this.z = new Float32Array(ds.N * ds.C);
    this.pred = new Int32Array(ds.N);
    this.W = new Float32Array(W);
    this.b = new Float32Array(b);
    this.recompute();
  }

  /** Full O(N·M·C) recompute, used when the whole model changes (tune, restore, undo). */
  setModel(W: Float32Array, b: Float32Array): void {
    this.W.set(W);
    this.b.set(b);
    this.recompute();
  }

  private recompute(): void {
    const { N, M, C, ahat, W, b, z } = this;
    for (let i = 0; i < N; i++) {
      const ai = i * M;
      for (let c = 0; c < C; c++) {
        const wc = c * M;
        let s = b[c];
        for (let j = 0; j < M; j++) s += ahat[ai + j] * W[wc + j];
        z[i * C + c] = s;
      }
      this.pred[i] = this.rowArgmax(i);
    }
  }

  private rowArgmax(i: number): number {
    const { C, z } = this;
    const o = i * C;
    let best = 0;
    for (let c = 1; c < C; c++) if (z[o + c] > z[o + best]) best = c;
    return best;
  }

  /** Set w_cj; returns how many predictions changed. O(N). */
  setWeight(c: number, j: number, w: number): number {
    const { N, M, C, ahat, z, pred } = this;
    const d = w - this.W[c * M + j];
    if (d === 0) return 0;
    this.W[c * M + j] = w;
    let changed = 0;
    for (let i = 0; i < N; i++) {
      const k = i * C + c;
      const delta = d * ahat[i * M + j];
      z[k] += delta;
      const p = pred[i];
      if (p === c) {
        // Our class went down: someone else may now lead.
        if (delta < 0) {
          const q = this.rowArgmax(i);
          if (q !== p) { pred[i] = q; changed++; }
        }
      } else if (z[k] > z[i * C + p] || (z[k] === z[i * C + p] && c < p)) {
        pred[i] = c;
        changed++;
      }
    }
    return changed;
  }

  /** Contribution of every concept to class c for image i; they sum with b_c to z_ic. */
  contributions(i: number, c: number, out = new Float32Array(this.M)): Float32Array {
    const { M, ahat, W } = this;
    for (let j = 0; j < M; j++) out[j] = W[c * M + j] * ahat[i * M + j];
    return out;
  }
}
