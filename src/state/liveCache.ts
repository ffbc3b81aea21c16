/**
 * Live logits of the students the studio just left (a refit, undo, redo or restore replaced
 * them), kept per Â: going back to one of them (undo after a refit, redo after an undo) adopts its
 * logits in O(N + C·M) instead of recomputing them in O(N·M·C) on the UI thread. An entry is
 * adopted only when its weights and bias equal the student's bit for bit (core LiveLogits checks),
 * and is taken out of the cache when adopted: the new LiveLogits owns and mutates its arrays.
 */
import { liveStateFits, type LiveLogits, type LiveLogitsState } from '../core/tuning/liveLogits.ts';
import type { LinearModel } from '../core/types.ts';

/** Students kept per Â (each N·C doubles twice plus N ints: ~0.8 MB at N = 10k, C = 5). */
const KEEP = 3;
const recent = new WeakMap<Float32Array, LiveLogitsState[]>();

/** Remember a LiveLogits that is being replaced (only if its logits are an exact full computation). */
export function rememberLive(ahat: Float32Array | null | undefined, live: LiveLogits | null | undefined): void {
  if (!ahat || !live) return;
  const st = live.freshState();
  if (!st) return;
  const list = (recent.get(ahat) ?? []).filter((x) => x.Z !== st.Z);
  list.unshift(st);
  recent.set(ahat, list.slice(0, KEEP));
}

/**
 * Remember a copy of a LiveLogits' logits that is about to change in place (a slider drag moves
 * its weights): undo of the drag then adopts them instead of recomputing O(N·M·C) on the UI thread
 * (~30 ms at N = 10k, M = 600, C = 5). Copying costs O(N·C), once per drag; only an exact state
 * is kept (after an earlier drag the logits are incremental, and the undo recomputes).
 */
export function rememberLiveCopy(ahat: Float32Array | null | undefined, live: LiveLogits | null | undefined): void {
  if (!ahat || !live) return;
  const st = live.freshState();
  if (!st) return;
  const list = (recent.get(ahat) ?? []).filter((x) => !sameModel(x, st));
  list.unshift({ ...st, Z: st.Z.slice(), zBest: st.zBest.slice(), pred: st.pred.slice() });
  recent.set(ahat, list.slice(0, KEEP));
}

const sameModel = (a: LiveLogitsState, b: LiveLogitsState) =>
  a.W.length === b.W.length && a.b.length === b.b.length && a.W.every((w, k) => Object.is(w, b.W[k])) && a.b.every((x, k) => Object.is(x, b.b[k]));

/** The remembered logits of exactly this model over this Â, taken out of the cache; null if none. */
export function takeLive(ahat: Float32Array, N: number, model: LinearModel): { ahat: Float32Array; state: LiveLogitsState } | null {
  const list = recent.get(ahat);
  const k = list ? list.findIndex((st) => liveStateFits(st, N, model)) : -1;
  if (!list || k < 0) return null;
  const [state] = list.splice(k, 1);
  return { ahat, state };
}
