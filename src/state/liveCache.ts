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

/**
 * Remember a LiveLogits' logits (only if they are an exact full computation), replacing an entry
 * of the same model. `copy` when the LiveLogits is about to change in place (a slider drag moves
 * its weights): undo of the drag then adopts the copy instead of recomputing O(N·M·C) on the UI
 * thread (~30 ms at N = 10k, M = 600, C = 5); copying costs O(N·C), once per drag. Otherwise (it
 * is being replaced) its arrays are kept as they are.
 */
export function rememberLive(ahat: Float32Array | null | undefined, live: LiveLogits | null | undefined, opts: { copy?: boolean } = {}): void {
  if (!ahat || !live) return;
  const st = live.freshState();
  if (!st) return;
  const model: LinearModel = { C: st.C, M: st.M, W: st.W, b: st.b };
  const list = (recent.get(ahat) ?? []).filter((x) => !liveStateFits(x, st.N, model));
  list.unshift(opts.copy ? { ...st, Z: st.Z.slice(), zBest: st.zBest.slice(), pred: st.pred.slice() } : st);
  recent.set(ahat, list.slice(0, KEEP));
}

/** The remembered logits of exactly this model over this Â, taken out of the cache; null if none. */
export function takeLive(ahat: Float32Array, N: number, model: LinearModel): { ahat: Float32Array; state: LiveLogitsState } | null {
  const list = recent.get(ahat);
  const k = list ? list.findIndex((st) => liveStateFits(st, N, model)) : -1;
  if (!list || k < 0) return null;
  const [state] = list.splice(k, 1);
  return { ahat, state };
}
