/**
 * Quick edit (METHODS.md §5): set one weight w_cj and update every cached logit in O(N),
 *
 *     z_ic += (w_new − w_old) · â_ij ,
 *
 * instead of recomputing Z = ÂWᵀ + b in O(N·M·C). A slider drag calls {@link LiveLogits.setWeight}
 * on every pointer move, so the loop below is the hot path, and at N = 100k it is bound by memory
 * latency, not arithmetic: reading Â's column j in place strides M floats per row (a cache miss
 * per row, ≈4 ms measured). So the layout is chosen for the drag:
 * - Z is stored column-major (class c's logits are contiguous);
 * - the column â_·j being dragged is copied out once (a drag moves one weight many times);
 * - the winning logit of each row is cached contiguously, so the prediction check only needs
 *   a full row argmax when class c was the winner and just fell.
 *
 * Z is kept in doubles: thousands of incremental float32 updates during long drags would drift
 * visibly from a fresh recompute and flip near-ties; {@link LiveLogits.recompute} resets any
 * remaining drift (call it on pointer-up, or after a refit).
 */
import type { LinearModel, Mat, Metrics } from '../types.ts';
import { computeMetrics } from '../metrics/metrics.ts';

export interface LiveLabels {
  /** Teacher argmax per row, for live fidelity. */
  teacher?: ArrayLike<number>;
  /** Ground truth per row (negative = unlabelled), for live accuracy. */
  truth?: ArrayLike<number> | null;
  /** Rows the live metrics count (the held-out split); default all rows. */
  evalRows?: ArrayLike<number>;
}

/**
 * Logits and predictions of a model over Â, as {@link LiveLogits} holds them. The train worker
 * computes this for a refitted student next to the refit (same code, same Â, so the values are
 * identical to a recompute on the UI thread), and the UI thread adopts it with
 * {@link LiveLogits.fromState} in O(N + C·M) instead of O(N·M·C).
 */
export interface LiveLogitsState {
  N: number;
  C: number;
  M: number;
  /** The weights and bias the logits are of (checked on adoption). */
  W: Float32Array;
  b: Float32Array;
  /** C×N logits, column-major, double precision. */
  Z: Float64Array;
  /** z of each row's winner. */
  zBest: Float64Array;
  /** argmax per row (first class on ties). */
  pred: Int32Array;
}

/** Full O(N·M·C) computation of {@link LiveLogitsState} (Â row-major N×M). */
export function liveLogitsState(Ahat: Mat, model: LinearModel): LiveLogitsState {
  if (Ahat.cols !== model.M) throw new Error(`activations have ${Ahat.cols} concepts but the model has ${model.M}`);
  const N = Ahat.rows;
  const { C, M } = model;
  const W = model.W.slice();
  const b = model.b.slice();
  const st: LiveLogitsState = { N, C, M, W, b, Z: new Float64Array(N * C), zBest: new Float64Array(N), pred: new Int32Array(N) };
  fillLogits(Ahat.data, st);
  return st;
}

/** Z, pred and zBest of `st` from its W, b over A (the loop shared by the worker and {@link LiveLogits.recompute}). */
function fillLogits(A: Float32Array, st: LiveLogitsState): void {
  const { N, C, M, W, b, Z, zBest, pred } = st;
  for (let i = 0; i < N; i++) {
    const ai = i * M;
    // Four classes per pass over row i (each sum still runs j = 0…M−1 in order, so the values
    // are those of one class at a time): A's row is read once per four classes, 1.4× faster.
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const w0 = c * M;
      const w1 = w0 + M;
      const w2 = w1 + M;
      const w3 = w2 + M;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < M; j++) {
        const a = A[ai + j];
        s0 += a * W[w0 + j];
        s1 += a * W[w1 + j];
        s2 += a * W[w2 + j];
        s3 += a * W[w3 + j];
      }
      Z[c * N + i] = s0 + b[c];
      Z[(c + 1) * N + i] = s1 + b[c + 1];
      Z[(c + 2) * N + i] = s2 + b[c + 2];
      Z[(c + 3) * N + i] = s3 + b[c + 3];
    }
    for (; c < C; c++) {
      const wc = c * M;
      let s = 0;
      for (let j = 0; j < M; j++) s += A[ai + j] * W[wc + j];
      Z[c * N + i] = s + b[c];
    }
    // Row argmax, first class on ties (as argmaxRows).
    let best = 0;
    let bv = Z[i];
    for (let k = 1, o = N + i; k < C; k++, o += N) {
      if (Z[o] > bv) {
        bv = Z[o];
        best = k;
      }
    }
    pred[i] = best;
    zBest[i] = bv;
  }
}

/** Whether `st` holds the logits of exactly this model over N rows (shapes, weights and bias bit for bit). */
export function liveStateFits(st: LiveLogitsState, N: number, model: LinearModel): boolean {
  if (st.N !== N || st.C !== model.C || st.M !== model.M) return false;
  if (st.Z.length !== N * model.C || st.zBest.length !== N || st.pred.length !== N) return false;
  if (st.W.length !== model.W.length || st.b.length !== model.b.length) return false;
  const W = model.W;
  for (let k = 0; k < W.length; k++) if (!Object.is(st.W[k], Math.fround(W[k]))) return false;
  for (let c = 0; c < model.C; c++) if (!Object.is(st.b[c], Math.fround(model.b[c]))) return false;
  return true;
}

export class LiveLogits {
  readonly N: number;
  readonly C: number;
  readonly M: number;
  /** C×N logits, column-major (Z[c·N + i] = z_ic), double precision. Use {@link logit} / {@link logits}. */
  private readonly Z: Float64Array;
  /** z of each row's winner, kept in step with pred. */
  private readonly zBest: Float64Array;
  /** Cached copy of Â's column colJ (−1: none yet). */
  private col: Float32Array;
  private colJ = -1;
  /** Current argmax per row (first class on ties, as `argmaxRows`). Mutated in place, never replaced. */
  readonly pred: Int32Array;
  private readonly A: Float32Array;
  private readonly W: Float32Array;
  private readonly b: Float32Array;
  private readonly changed: Int32Array;
  private changedCount = 0;
  private readonly teacher: Int32Array | null;
  private readonly truth: Int32Array | null;
  private readonly inEval: Uint8Array;
  private readonly nEval: number;
  private nLabelled = 0;
  private agree = 0;
  private right = 0;
  private base: Int32Array | null = null;
  /** Whether the constructor adopted precomputed logits (false: it computed them itself). */
  readonly adopted: boolean;
  /** Whether Z is exactly a full computation from W, b (no incremental update since). */
  private fresh = true;

  /**
   * @param Ahat standardised activations â (N×M); referenced, not copied — it must not change.
   * @param model the starting weights; copied, so the caller's model is never mutated.
   * @param computed the logits of `model` over `Ahat` computed elsewhere ({@link liveLogitsState},
   *   e.g. in the train worker); adopted (not copied) when it fits the model bit for bit, else ignored.
   */
  constructor(Ahat: Mat, model: LinearModel, labels: LiveLabels = {}, computed?: LiveLogitsState | null) {
    if (Ahat.cols !== model.M) throw new Error(`activations have ${Ahat.cols} concepts but the model has ${model.M}`);
    this.N = Ahat.rows;
    this.C = model.C;
    this.M = model.M;
    this.A = Ahat.data;
    this.W = model.W.slice();
    this.b = model.b.slice();
    // Precomputed logits of exactly this model are adopted (the worker transferred them for this).
    this.adopted = computed != null && liveStateFits(computed, this.N, model);
    this.Z = this.adopted ? computed!.Z : new Float64Array(this.N * this.C);
    this.zBest = this.adopted ? computed!.zBest : new Float64Array(this.N);
    this.pred = this.adopted ? computed!.pred : new Int32Array(this.N);
    this.col = new Float32Array(this.N);
    this.changed = new Int32Array(this.N);
    const toInt = (x: ArrayLike<number> | null | undefined, what: string) => {
      if (!x) return null;
      if (x.length !== this.N) throw new Error(`${x.length} ${what} for ${this.N} rows`);
      return Int32Array.from(x);
    };
    this.teacher = toInt(labels.teacher, 'teacher labels');
    this.truth = toInt(labels.truth, 'ground-truth labels');
    this.inEval = new Uint8Array(this.N);
    if (labels.evalRows) for (let k = 0; k < labels.evalRows.length; k++) this.inEval[labels.evalRows[k]] = 1;
    else this.inEval.fill(1);
    let n = 0;
    for (let i = 0; i < this.N; i++) n += this.inEval[i];
    this.nEval = n;
    if (this.adopted) this.recount();
    else this.recompute();
  }

  /** Full O(N·M·C) recompute of Z, predictions and live counts from the current W, b. */
  recompute(): void {
    const { N, C, M, A, W, b, Z, zBest, pred } = this;
    fillLogits(A, { N, C, M, W, b, Z, zBest, pred });
    this.fresh = true;
    this.recount();
  }

  /**
   * This object's logits as a {@link LiveLogitsState} another LiveLogits can adopt (e.g. when undo
   * returns to this student), or null if they are not exactly a full computation (moves since the
   * last recompute). The arrays are shared, not copied: call it only on a LiveLogits that will
   * not change any more.
   */
  freshState(): LiveLogitsState | null {
    if (!this.fresh) return null;
    const { N, C, M, Z, zBest, pred } = this;
    return { N, C, M, W: this.W.slice(), b: this.b.slice(), Z, zBest, pred };
  }

  /** Live counts (fidelity, accuracy) from the current predictions, O(N). */
  private recount(): void {
    const { N } = this;
    this.agree = this.right = this.nLabelled = 0;
    for (let i = 0; i < N; i++) {
      if (!this.inEval[i]) continue;
      if (this.teacher && this.pred[i] === this.teacher[i]) this.agree++;
      if (this.truth && this.truth[i] >= 0) {
        this.nLabelled++;
        if (this.pred[i] === this.truth[i]) this.right++;
      }
    }
    this.changedCount = 0;
  }

  private rowArgmax(i: number): number {
    const N = this.N;
    let best = 0;
    let bv = this.Z[i];
    for (let c = 1, o = N + i; c < this.C; c++, o += N) {
      if (this.Z[o] > bv) {
        bv = this.Z[o];
        best = c;
      }
    }
    return best;
  }

  /** Current logit z_ic. */
  logit(i: number, c: number): number {
    return this.Z[c * this.N + i];
  }

  /** Current weight w_cj. */
  weight(c: number, j: number): number {
    return this.W[c * this.M + j];
  }

  /** Current bias b_c. */
  bias(c: number): number {
    return this.b[c];
  }

  /**
   * Set w_cj and update Z's column c and the predictions in O(N). Returns how many rows
   * changed prediction in this move; their indices are in {@link lastChanged}.
   */
  setWeight(c: number, j: number, w: number): number {
    if (!(c >= 0 && c < this.C && j >= 0 && j < this.M)) throw new Error(`weight (${c}, ${j}) is outside ${this.C}×${this.M}`);
    if (!Number.isFinite(w)) throw new Error(`weight must be finite, got ${w}`);
    const k = c * this.M + j;
    // Use the float32 value actually stored, so Z stays consistent with W as the export holds it.
    const old = this.W[k];
    this.W[k] = w;
    const dw = this.W[k] - old;
    this.changedCount = 0;
    if (dw === 0) return 0;
    this.fresh = false;
    const { N, Z, zBest, pred, changed } = this;
    const a = this.column(j);
    const zc = c * N;
    let nc = 0;
    for (let i = 0; i < N; i++) {
      const d = dw * a[i];
      if (d === 0) continue;
      const z = Z[zc + i] + d;
      Z[zc + i] = z;
      const p = pred[i];
      if (p === c) {
        if (d > 0) {
          zBest[i] = z; // still the winner, by more
          continue;
        }
        // c's logit fell: someone else may now lead.
        const q = this.rowArgmax(i);
        zBest[i] = Z[q * N + i];
        if (q !== c) {
          pred[i] = q;
          changed[nc++] = i;
          this.account(i, p, q);
        }
      } else if (d > 0) {
        // c's logit rose: it wins if it now beats the leader (first index on ties, as argmaxRows).
        const zp = zBest[i];
        if (z > zp || (z === zp && c < p)) {
          pred[i] = c;
          zBest[i] = z;
          changed[nc++] = i;
          this.account(i, p, c);
        }
      }
    }
    this.changedCount = nc;
    return nc;
  }

  /** Set b_c (O(N), same contract as {@link setWeight}). */
  setBias(c: number, value: number): number {
    if (!(c >= 0 && c < this.C)) throw new Error(`class ${c} is outside 0..${this.C - 1}`);
    const old = this.b[c];
    this.b[c] = value;
    const db = this.b[c] - old;
    this.changedCount = 0;
    if (db === 0) return 0;
    this.fresh = false;
    let nc = 0;
    for (let i = 0; i < this.N; i++) {
      this.Z[c * this.N + i] += db;
      const p = this.pred[i];
      const q = this.rowArgmax(i);
      this.zBest[i] = this.Z[q * this.N + i];
      if (q !== p) {
        this.pred[i] = q;
        this.changed[nc++] = i;
        this.account(i, p, q);
      }
    }
    this.changedCount = nc;
    return nc;
  }

  private account(i: number, p: number, q: number): void {
    if (!this.inEval[i]) return;
    if (this.teacher) this.agree += (q === this.teacher[i] ? 1 : 0) - (p === this.teacher[i] ? 1 : 0);
    if (this.truth && this.truth[i] >= 0) this.right += (q === this.truth[i] ? 1 : 0) - (p === this.truth[i] ? 1 : 0);
  }

  /** Rows whose prediction changed in the last setWeight/setBias (a view; valid until the next call). */
  lastChanged(): Int32Array {
    return this.changed.subarray(0, this.changedCount);
  }

  /** Live fidelity on the eval rows, O(1); null without teacher labels or eval rows. */
  fidelity(): number | null {
    return this.teacher && this.nEval > 0 ? this.agree / this.nEval : null;
  }

  /** Live accuracy on the labelled eval rows, O(1); null without any. */
  accuracy(): number | null {
    return this.truth && this.nLabelled > 0 ? this.right / this.nLabelled : null;
  }

  /** Full metrics (per class too) of the current predictions on the eval rows, O(N). */
  metrics(): Metrics | null {
    if (!this.teacher) return null;
    const rows: number[] = [];
    for (let i = 0; i < this.N; i++) if (this.inEval[i]) rows.push(i);
    return computeMetrics(this.pred, this.teacher, this.C, this.truth, rows);
  }

  /**
   * Start a gesture (pointer-down): remember the predictions to report flips against, and, if
   * the concept about to be dragged is given, copy its column now so the first move is as fast
   * as the rest.
   */
  beginGesture(concept?: number): void {
    this.base = this.pred.slice();
    if (concept !== undefined) this.column(concept);
  }

  /** Predictions at the start of the current gesture (null outside one). */
  gestureBase(): Int32Array | null {
    return this.base;
  }

  /** Rows whose prediction differs from the gesture's start (ascending), O(N). */
  gestureChanged(): Int32Array {
    if (!this.base) return new Int32Array(0);
    const out: number[] = [];
    for (let i = 0; i < this.N; i++) if (this.pred[i] !== this.base[i]) out.push(i);
    return Int32Array.from(out);
  }

  /** End the gesture and return its predictions at start (for flippedImages / history). */
  endGesture(): Int32Array | null {
    const b = this.base;
    this.base = null;
    return b;
  }

  /** Contiguous copy of Â's column j, cached for the drag that keeps moving w_·j. */
  private column(j: number): Float32Array {
    if (this.colJ !== j) {
      const { N, M, A, col } = this;
      for (let i = 0, ai = j; i < N; i++, ai += M) col[i] = A[ai];
      this.colJ = j;
    }
    return this.col;
  }

  /** Copy of the current logits as a row-major float32 N×C matrix. */
  logits(): Mat {
    const { N, C, Z } = this;
    const out = new Float32Array(N * C);
    for (let c = 0; c < C; c++) for (let i = 0; i < N; i++) out[i * C + c] = Z[c * N + i];
    return { rows: N, cols: C, data: out };
  }

  /** Copy of the current model. */
  model(): LinearModel {
    return { W: this.W.slice(), b: this.b.slice(), C: this.C, M: this.M };
  }
}
