/**
 * The one path every change takes: run the action, record provenance according to the action's
 * capture mode, and schedule a save. Pure maths lives in core (and its stand-ins here); this
 * file only decides what the store looks like afterwards.
 */
import type { Ensemble } from '../core/types.ts';
import { CAPTURE, initialUi, type StudioAction } from './actions.ts';
import { addNode, copySnapshot, emptyTree, moveHead, newId, redoTarget, replaceHead, undoTarget } from './history.ts';
import { LiveLogits } from './live.ts';
import { computeMetrics, flippedBetween } from './metricsLocal.ts';
import type { StudioState } from './store.ts';
import type { HistoryNode, Snapshot } from './types.ts';
import { fmtPct, fmtW } from './format.ts';

type Set = (partial: Partial<StudioState>) => void;
type Get = () => StudioState;

const snapshotOf = (e: Ensemble): Snapshot => ({ W: e.served.W, b: e.served.b, lo: e.lo, hi: e.hi });
const ensembleOf = (s: Snapshot, C: number, M: number): Ensemble => {
  const served = { W: new Float32Array(s.W), b: new Float32Array(s.b), C, M };
  return { served, members: [served], lo: s.lo, hi: s.hi };
};

export function commitAction(set: Set, get: Get, action: StudioAction, scheduleSave: () => void): void {
  const s = get();
  const capture = CAPTURE[action.type];
  if (action.type === 'ui') {
    set({ ui: { ...s.ui, ...action.patch } });
    scheduleSave();
    return;
  }
  if (action.type === 'relabel') {
    const ds = s.dataset;
    const name = action.name.trim();
    if (!ds || !name) return;
    const concepts = ds.concepts.slice();
    const old = concepts[action.concept];
    concepts[action.concept] = name;
    set({ dataset: { ...ds, concepts }, ui: { ...s.ui, announce: `Renamed “${old}” to “${name}”.` } });
    scheduleSave();
    return;
  }
  if (action.type === 'hydrate') {
    const ds = action.dataset;
    const node = action.tree.nodes[action.tree.head!];
    const live = new LiveLogits(ds, node.snapshot.W, node.snapshot.b);
    const metrics = computeMetrics(ds, live.pred);
    set({
      dataset: ds, ensemble: ensembleOf(node.snapshot, ds.C, ds.M), live, metrics, headPred: new Int32Array(live.pred), mergeBasePred: null,
      tree: action.tree, liveVersion: s.liveVersion + 1,
      ui: { ...action.ui, announce: `Restored ${ds.name} with ${action.tree.order.length} history steps.` },
    });
    return;
  }
  if (action.type === 'load') {
    const ds = action.dataset;
    const live = new LiveLogits(ds, action.ensemble.served.W, action.ensemble.served.b);
    const metrics = computeMetrics(ds, live.pred);
    const node: HistoryNode = {
      id: newId(), parentId: null, time: Date.now(), action: 'load', params: { source: ds.source }, label: action.label,
      metricsAfter: metrics, flipped: new Int32Array(0), snapshot: copySnapshot(snapshotOf(action.ensemble)),
    };
    set({
      dataset: ds, ensemble: action.ensemble, live, metrics, headPred: new Int32Array(live.pred), mergeBasePred: null,
      tree: addNode(emptyTree(), node), liveVersion: s.liveVersion + 1,
      ui: { ...initialUi(), announce: `Loaded ${ds.name}. Fidelity ${fmtPct(metrics.fidelity)} on ${metrics.n} held-out images.` },
    });
    scheduleSave();
    return;
  }
  const { live, tree, ensemble } = s;
  let ds = s.dataset;
  if (!ds || !live || !tree.head || !ensemble) return;
  const M = ds.M;
  const C = ds.C;
  const head = tree.nodes[tree.head];

  if (action.type === 'undo' || action.type === 'redo') {
    const target = action.type === 'undo' ? undoTarget(tree) : redoTarget(tree);
    if (!target) return;
    const node = tree.nodes[target];
    live.setModel(node.snapshot.W, node.snapshot.b);
    const metrics = computeMetrics(ds, live.pred);
    set({
      tree: moveHead(tree, target), live, metrics, ensemble: ensembleOf(node.snapshot, C, M),
      headPred: new Int32Array(live.pred), mergeBasePred: null, liveVersion: s.liveVersion + 1,
      ui: { ...s.ui, historySel: target, announce: `${action.type === 'undo' ? 'Undid' : 'Redid'}: ${action.type === 'undo' ? head.label : node.label}. Fidelity ${fmtPct(metrics.fidelity)}.` },
    });
    scheduleSave();
    return;
  }

  if (action.type === 'quickEdit') {
    const { cls, concept, value, mergeKey } = action;
    const before = live.W[cls * M + concept];
    live.setWeight(cls, concept, value);
    const metrics = computeMetrics(ds, live.pred);
    const merging = capture === 'merge' && head.action === 'quickEdit' && head.mergeKey === mergeKey;
    const base = merging && s.mergeBasePred ? s.mergeBasePred : s.headPred!;
    const flipped = flippedBetween(base, live.pred);
    const snapshot: Snapshot = { W: new Float32Array(live.W), b: new Float32Array(live.b), lo: ensemble.lo, hi: ensemble.hi };
    const from = merging ? (head.params.from as number) : before;
    const label = `Set weight of ${ds.concepts[concept]} for ${ds.classes[cls]}: ${fmtW(from)} → ${fmtW(value)}`;
    const node: HistoryNode = merging
      ? { ...head, time: Date.now(), params: { ...head.params, to: value }, label, metricsAfter: metrics, flipped, snapshot }
      : {
          id: newId(), parentId: head.id, time: Date.now(), action: 'quickEdit', params: { cls, concept, from, to: value },
          label, metricsAfter: metrics, flipped, snapshot, mergeKey,
        };
    set({
      tree: merging ? replaceHead(tree, node) : addNode(tree, node),
      mergeBasePred: merging ? s.mergeBasePred : s.headPred,
      headPred: new Int32Array(live.pred),
      ensemble: { ...ensemble, served: { W: snapshot.W, b: snapshot.b, C, M } },
      metrics, liveVersion: s.liveVersion + 1,
    });
    scheduleSave();
    return;
  }

  // applyModel and restore: a whole new weight matrix, recorded as a new node under the head.
  let snapshot: Snapshot;
  let ens: Ensemble;
  let label: string;
  let kind: HistoryNode['action'];
  let params: Record<string, unknown>;
  let liveNext = live;
  if (action.type === 'restore') {
    const src = tree.nodes[action.nodeId];
    if (!src) return;
    snapshot = copySnapshot(src.snapshot);
    ens = ensembleOf(snapshot, C, M);
    label = `Restore “${src.label}”`;
    kind = 'restore';
    params = { nodeId: src.id };
  } else {
    if (action.dataset) {
      // A distillation may bring a new split and standardisation: rebuild the live logits on it.
      ds = action.dataset;
      liveNext = new LiveLogits(ds, action.ensemble.served.W, action.ensemble.served.b);
    }
    ens = action.ensemble;
    snapshot = copySnapshot(snapshotOf(ens));
    label = action.label;
    kind = action.kind;
    params = action.params;
  }
  liveNext.setModel(snapshot.W, snapshot.b);
  const metrics = computeMetrics(ds, liveNext.pred);
  const flipped = flippedBetween(s.headPred!, liveNext.pred);
  const node: HistoryNode = {
    id: newId(), parentId: head.id, time: Date.now(), action: kind, params, label, metricsAfter: metrics, flipped, snapshot,
  };
  const dFid = metrics.fidelity - head.metricsAfter.fidelity;
  set({
    dataset: ds, tree: addNode(tree, node), ensemble: ens, live: liveNext, metrics, headPred: new Int32Array(liveNext.pred), mergeBasePred: null,
    liveVersion: s.liveVersion + 1,
    ui: {
      ...s.ui, historySel: node.id,
      announce: `${label}. Fidelity ${fmtPct(metrics.fidelity)} (${dFid >= 0 ? '+' : ''}${(dFid * 100).toFixed(1)} points); ${flipped.length} images flipped.`,
    },
  });
  scheduleSave();
}
