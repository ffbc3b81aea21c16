/**
 * The one path every change takes. Student changes become core project actions and go through
 * core/project's `dispatch` (which records provenance by the action's capture mode); head moves
 * go through core/history (undo, redo, restore). This file only keeps the studio's derived
 * data in step with the session: live logits (core/tuning), metrics (core/metrics), the
 * tuning box per node, and the dataset's concept names.
 */
import type { Box } from '../core/types.ts';
import { beginDrag, dispatch, endDrag, redoSession, undoSession, type ProjectAction, type Session } from '../core/project/index.ts';
import type { Flip } from '../core/history/types.ts';
import { calibratedAhat, keepCalibration } from './domain.ts';
import { initialUi, type LiveFromWorker, type StudioAction } from './actions.ts';
import { boxAt, heldOutFlips, liveFor, nodeMetrics, plainMetrics, sessionFor, studioMetrics } from './project.ts';
import type { StudioState } from './store.ts';
import { DEFAULT_SETTINGS, type Dataset } from './types.ts';
import { fmtDelta, fmtPct } from './format.ts';
import { rememberLive, takeLive } from './liveCache.ts';
import { datasetAt, recordStep } from './datasetSteps.ts';

type Set = (partial: Partial<StudioState>) => void;
type Get = () => StudioState;

/** The dataset with the session's concept names and standardisation (both can change with history). */
function syncDataset(ds: Dataset, session: Session): Dataset {
  const st = session.state;
  let out = ds;
  if (st.concepts.length === ds.M && st.concepts.some((c, j) => c.name !== ds.concepts[j])) {
    out = { ...out, concepts: st.concepts.map((c) => c.name) };
  }
  // Domain calibration (state/domain.ts) restandardises too; undo/redo/restore follow it here.
  const dom = st.calibration.domain ?? null;
  if ((st.stats && st.stats !== ds.stats) || dom !== (ds.ahatDomain ?? null)) {
    const stats = st.stats ?? ds.stats;
    out = { ...out, stats, ahat: calibratedAhat(ds, stats, dom), ahatDomain: dom };
  }
  return out;
}

/**
 * Everything derived from a new session whose student may have changed wholesale: O(N·M·C), or
 * O(N + C·M) when the train worker sent the new student's live logits over this Â.
 */
function rebuild(ds0: Dataset, session: Session, computed?: LiveFromWorker): Partial<StudioState> {
  const dataset = syncDataset(ds0, session);
  const ens = session.state.ensemble;
  if (!ens) return { dataset, session, ensemble: null, live: null, metrics: null, headPred: null };
  const live = liveFor(dataset, ens.served, computed ?? takeLive(dataset.ahat, dataset.N, ens.served));
  return { dataset, session, ensemble: ens, live, metrics: studioMetrics(dataset, live.pred), headPred: live.pred.slice() };
}

export function commitAction(set: Set, get: Get, action: StudioAction, scheduleSave: () => void): void {
  const s = get();
  const now = Date.now();
  if (action.type === 'ui') {
    set({ ui: { ...s.ui, ...action.patch } });
    scheduleSave();
    return;
  }
  if (action.type === 'settings') {
    const patch = action.patch;
    if (patch.padToSquare === undefined || patch.padToSquare === s.settings.padToSquare) return;
    const text = patch.padToSquare
      ? 'Images will be padded to a square (nothing cropped) for future embeddings'
      : 'Images will be centre-cropped (CLIP default) for future embeddings';
    set({
      settings: { ...s.settings, ...patch, log: [...s.settings.log, { time: now, text }].slice(-50) },
      ui: { ...s.ui, announce: `${text}. The current student and its embeddings are unchanged until the next embedding.` },
    });
    scheduleSave();
    return;
  }
  if (action.type === 'load') {
    const ds = action.dataset;
    const live = liveFor(ds, action.ensemble.served);
    const metrics = studioMetrics(ds, live.pred);
    const session = sessionFor(ds, action.ensemble, plainMetrics(metrics), action.label, now);
    set({
      settings: action.settings ?? DEFAULT_SETTINGS,
      dataset: ds, session, boxes: {}, ensemble: action.ensemble, live, metrics, headPred: live.pred.slice(), editing: null,
      liveVersion: s.liveVersion + 1,
      ui: { ...initialUi(), announce: `Loaded ${ds.name}. Fidelity ${fmtPct(metrics.fidelity)} on ${metrics.n} held-out images.` },
    });
    scheduleSave();
    return;
  }
  if (action.type === 'hydrate') {
    const r = rebuild(action.dataset, action.session);
    set({
      ...r, boxes: action.boxes, training: action.training, settings: action.settings ?? DEFAULT_SETTINGS, editing: null, liveVersion: s.liveVersion + 1,
      ui: { ...action.ui, announce: `Restored ${action.dataset.name} with ${Object.keys(action.session.history.nodes).length} history steps.` },
    });
    return;
  }
  const ds = s.dataset;
  let session = s.session;
  if (!ds || !session) return;

  // Any change other than a quick edit ends an open edit gesture first.
  if (s.editing && action.type !== 'quickEdit' && action.type !== 'beginEdit') {
    endEditGesture(set, get);
    session = get().session!;
  }

  switch (action.type) {
    case 'beginEdit': {
      if (s.editing) endEditGesture(set, get);
      const live = get().live;
      if (!live) return;
      // The drag changes these logits in place: keep a copy, so its undo adopts them.
      rememberLive(ds.ahat, live, { copy: true });
      live.beginGesture(action.concept);
      set({ session: beginDrag(get().session!), editing: { cls: action.cls, concept: action.concept } });
      return;
    }
    case 'endEdit':
      return; // closed above
    case 'quickEdit': {
      const live = s.live;
      const headPred = s.headPred;
      if (!live || !headPred || !s.ensemble) return;
      live.setWeight(action.cls, action.concept, action.value);
      // Flips of this move, held-out only (as the CLI reports them); core composes them per node.
      const flipped: Flip[] = [];
      const changed = live.lastChanged();
      for (let k = 0; k < changed.length; k++) {
        const i = changed[k];
        if (ds.isTest[i]) flipped.push({ image: i, from: headPred[i], to: live.pred[i] });
        headPred[i] = live.pred[i];
      }
      flipped.sort((a, b) => a.image - b.image);
      const metrics = studioMetrics(ds, live.pred);
      const next = dispatch(session, { type: 'quickEdit', class: action.cls, concept: action.concept, value: action.value, metricsAfter: plainMetrics(metrics), flipped }, now);
      set({ session: next, ensemble: next.state.ensemble, metrics, liveVersion: s.liveVersion + 1 });
      scheduleSave();
      return;
    }
    case 'undo':
    case 'redo': {
      const next = action.type === 'undo' ? undoSession(session) : redoSession(session);
      if (next.history.head === session.history.head) {
        if (next !== session) set({ session: next });
        return;
      }
      const label = action.type === 'undo' ? session.history.nodes[session.history.head].label : next.history.nodes[next.history.head].label;
      // The teacher's arrays and the split in force at the node moved to (they live in the dataset).
      rememberLive(ds.ahat, get().live);
      const r = rebuild(datasetAt(ds, next, next.history.head), next);
      set({
        ...r, liveVersion: s.liveVersion + 1,
        ui: { ...s.ui, historySel: next.history.head, announce: `${action.type === 'undo' ? 'Undid' : 'Redid'}: ${label}. Fidelity ${fmtPct(r.metrics?.fidelity)}.` },
      });
      scheduleSave();
      return;
    }
    case 'restore': {
      if (!session.history.nodes[action.nodeId]) return;
      const box = boxAt(session, get().boxes, action.nodeId, ds.C, ds.M);
      const next = dispatch(session, { type: 'restore', node: action.nodeId }, now);
      if (next === session) return;
      const dsNext = recordStep(ds, datasetAt(ds, session, action.nodeId), session, next);
      commitStudent(set, get, next, { [next.history.head]: box }, dsNext, scheduleSave, s.headPred);
      return;
    }
    case 'relabel': {
      const name = action.name.trim();
      const old = session.state.concepts[action.concept];
      if (!name || !old || name === old.name) return;
      const concepts = session.state.concepts.slice();
      concepts[action.concept] = { ...old, name };
      const st = session.state;
      const next = dispatch(session, {
        type: 'corpusChange', concepts, conceptText: st.conceptText, stats: st.stats, ensemble: st.ensemble,
        oldToNew: concepts.map((_, j) => j), summary: `Renamed concept '${old.name}' to '${name}'`,
        ...(st.metrics ? { metricsAfter: st.metrics } : {}),
      }, now);
      set({ session: next, dataset: syncDataset(ds, next), ui: { ...s.ui, announce: `Renamed “${old.name}” to “${name}”.` } });
      scheduleSave();
      return;
    }
    case 'domainSettings': {
      // A calibration change restandardises every image: measure it first so the node carries its metrics.
      if ((session.state.calibration.domain ?? null) === action.domain) return;
      const stats = session.state.stats ?? ds.stats;
      const dsNext: Dataset = { ...ds, stats, ahat: calibratedAhat(ds, stats, action.domain), ahatDomain: action.domain };
      const served = session.state.ensemble?.served;
      const pred = served ? liveFor(dsNext, served).pred : null;
      const measured = pred ? { metricsAfter: plainMetrics(studioMetrics(dsNext, pred)), ...(s.headPred ? { flipped: heldOutFlips(ds, s.headPred, pred) } : {}) } : {};
      const next = dispatch(session, { type: 'calibrationChange', domain: action.domain, ...measured }, now);
      if (next === session) return;
      commitStudent(set, get, next, {}, dsNext, scheduleSave, s.headPred);
      return;
    }
    case 'oodSettings': {
      const cur = session.state.calibration.ood;
      const o0 = action.ood;
      if (cur === o0 || (cur && o0 && cur.score === o0.score && cur.tau === o0.tau && cur.threshold === o0.threshold && cur.calibrationN === o0.calibrationN)) return;
      const next = dispatch(session, { type: 'calibrationChange', ood: action.ood }, now);
      if (next === session) return;
      const o = action.ood;
      set({ session: next, ui: { ...s.ui, announce: o ? `OOD threshold ${o.threshold.toFixed(3)} (${o.score === 'mcm' ? 'class prompts' : 'student prototypes'}).` : 'OOD flag off.' } });
      scheduleSave();
      return;
    }
    case 'refit': {
      // Flips are measured against the head's predictions; the student and dataset may both change.
      const before = s.headPred;
      let next = session;
      for (const a of action.actions) next = dispatch(next, a as ProjectAction, now);
      if (next === session) return;
      const dsNext = action.dataset ? recordStep(ds, keepCalibration(action.dataset, ds), session, next) : ds;
      commitStudent(set, get, next, { [next.history.head]: action.box }, dsNext, scheduleSave, before, action.live);
      return;
    }
  }
}

/** Close an open edit gesture: one history node for the whole drag (or none if it went nowhere). */
function endEditGesture(set: Set, get: Get): void {
  const s = get();
  if (!s.editing || !s.session) return;
  s.live?.endGesture();
  // Reset any drift of the incremental updates (core recommends this on pointer-up).
  s.live?.recompute();
  const session = endDrag(s.session);
  const ds = s.dataset!;
  const metrics = s.live ? studioMetrics(ds, s.live.pred) : s.metrics;
  set({ session, editing: null, metrics, headPred: s.live ? s.live.pred.slice() : s.headPred, liveVersion: s.liveVersion + 1 });
}

/** A recorded change that swaps the whole student (refit, restore, import). */
function commitStudent(set: Set, get: Get, next: Session, boxes: Record<string, Box>, ds: Dataset, scheduleSave: () => void, before?: Int32Array | null, computed?: LiveFromWorker): void {
  const s = get();
  const prevMetrics = s.session ? nodeMetrics(s.session, s.session.history.head) : null;
  rememberLive(s.dataset?.ahat, s.live);
  const r = rebuild(ds, next, computed);
  const head = next.history.nodes[next.history.head];
  const flipped = head.flipped?.length ?? (before && r.headPred ? countDiff(before, r.headPred, ds) : 0);
  const m = r.metrics;
  const dFid = m && prevMetrics ? m.fidelity - prevMetrics.fidelity : null;
  set({
    ...r, boxes: { ...s.boxes, ...boxes }, liveVersion: s.liveVersion + 1,
    ui: {
      ...s.ui, historySel: head.id,
      announce: `${head.label}. Fidelity ${fmtPct(m?.fidelity)}${dFid != null ? ` (${fmtDelta(dFid)} points)` : ''}; ${flipped} held-out images flipped.`,
    },
  });
  scheduleSave();
}

function countDiff(a: Int32Array, b: Int32Array, ds: Dataset): number {
  let n = 0;
  for (const i of ds.split.heldOut) if (a[i] !== b[i]) n++;
  return n;
}

