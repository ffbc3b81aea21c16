/**
 * The provenance tree's operations (METHODS.md §7). Every function is pure: it returns a new
 * tree, and — where the head moves — the diff the caller applies to its current state to get
 * the state at the new head (so the UI never rebuilds from the root on undo).
 *
 * Branches are never lost: undo only moves the head; a new change after an undo starts a new
 * branch beside the old one; redo follows the child last visited.
 */

import { ensembleRef } from './hash.ts';
import { composeDiffs, isEmptyDiff, reverseDiff, type Diff, type Diffable } from './diff.ts';
import { childrenOf, getNode, metricsAt, pathFromRoot, stateAt, transitionDiff } from './query.ts';
import type { EntryDraft, Flip, HistoryNode, HistoryTree, JsonValue } from './types.ts';

/** Ids are `n<seq>` in base 36: deterministic, short, and unique within one tree. */
function nodeId(seq: number): string {
  return 'n' + seq.toString(36);
}

/** A new tree whose root holds `initial` (e.g. an empty project before the first distill). */
export function createHistory<S extends Diffable>(initial: S, time: number, label = 'New project'): HistoryTree<S> {
  const id = nodeId(0);
  const root: HistoryNode = { id, parentId: null, time, seq: 0, action: 'init', params: null, label, diff: [] };
  return { root: initial, rootId: id, nodes: { [id]: root }, head: id, lastVisited: {}, snapshots: {}, seq: 1, group: null };
}

/** Compose flip lists applied in sequence (first `from`, last `to`); unknown if either is. */
export function composeFlips(a: Flip[] | undefined, b: Flip[] | undefined): Flip[] | undefined {
  if (!a || !b) return undefined;
  const m = new Map<number, Flip>();
  for (const f of a) m.set(f.image, { ...f });
  for (const f of b) {
    const prev = m.get(f.image);
    m.set(f.image, prev ? { image: f.image, from: prev.from, to: f.to } : { ...f });
  }
  return [...m.values()].filter((f) => f.from !== f.to).sort((x, y) => x.image - y.image);
}

/**
 * Merge policy hook for drags: given the node built so far and the next draft, return the
 * label/params of the merged node (e.g. "Set … to 0.42 (was 0.10)" keeps the first `was`).
 * Default: the latest draft's label and params.
 */
export type MergeLabel = (node: HistoryNode, next: EntryDraft) => { label: string; params: JsonValue };

/**
 * Record a draft. `recorded` appends a child of the head; `merged` does the same, except that
 * inside an open group it folds into the group's node; `none` returns the tree unchanged.
 */
export function commit<S extends Diffable>(
  tree: HistoryTree<S>,
  draft: EntryDraft,
  time: number,
  mergeLabel?: MergeLabel,
): HistoryTree<S> {
  if (draft.capture === 'none') return tree;
  const snapshots = draft.snapshots ? { ...tree.snapshots, ...draft.snapshots } : tree.snapshots;
  const g = tree.group;
  if (draft.capture === 'merged' && g && g.nodeId !== null && tree.head === g.nodeId) {
    const node = getNode(tree, g.nodeId);
    const { label, params } = mergeLabel ? mergeLabel(node, draft) : { label: draft.label, params: draft.params };
    const merged: HistoryNode = {
      ...node,
      time,
      label,
      params,
      diff: composeDiffs(node.diff, draft.diff),
      metricsAfter: draft.metricsAfter ?? node.metricsAfter,
      flipped: composeFlips(node.flipped, draft.flipped),
      weightsRef: draft.weightsRef ?? node.weightsRef,
    };
    if (merged.metricsAfter === undefined) delete merged.metricsAfter;
    if (merged.flipped === undefined) delete merged.flipped;
    if (merged.weightsRef === undefined) delete merged.weightsRef;
    return { ...tree, nodes: { ...tree.nodes, [node.id]: merged }, snapshots };
  }
  const id = nodeId(tree.seq);
  const node: HistoryNode = {
    id,
    parentId: tree.head,
    time,
    seq: tree.seq,
    action: draft.action,
    params: draft.params,
    label: draft.label,
    diff: composeDiffs(draft.diff),
  };
  if (draft.metricsAfter) node.metricsAfter = draft.metricsAfter;
  if (draft.flipped) node.flipped = draft.flipped;
  if (draft.weightsRef) node.weightsRef = draft.weightsRef;
  const group = draft.capture === 'merged' && g ? { ...g, nodeId: id } : g;
  return {
    ...tree,
    nodes: { ...tree.nodes, [id]: node },
    head: id,
    lastVisited: { ...tree.lastVisited, [tree.head]: id },
    snapshots,
    seq: tree.seq + 1,
    group,
  };
}

/** Pointer-down on a slider: the `merged` commits until `endGroup` become one node. */
export function beginGroup<S extends Diffable>(tree: HistoryTree<S>): HistoryTree<S> {
  const closed = endGroup(tree);
  return { ...closed, group: { baseHead: closed.head, nodeId: null } };
}

/**
 * Pointer-up. A gesture that ended where it began (empty net diff) leaves no node: it is
 * removed if it is still the head and has no children, so "drag and put back" is not noise.
 */
export function endGroup<S extends Diffable>(tree: HistoryTree<S>): HistoryTree<S> {
  const g = tree.group;
  if (!g) return tree;
  const t = { ...tree, group: null };
  if (g.nodeId === null || t.head !== g.nodeId) return t;
  const node = getNode(t, g.nodeId);
  if (!isEmptyDiff(node.diff) || childrenOf(t, node.id).length > 0 || node.parentId === null) return t;
  const nodes = { ...t.nodes };
  delete nodes[node.id];
  const lastVisited = { ...t.lastVisited };
  if (lastVisited[node.parentId] === node.id) delete lastVisited[node.parentId];
  return { ...t, nodes, lastVisited, head: node.parentId };
}

/**
 * Close an open gesture and say where `id` is now: if `id` was the gesture's empty node that
 * endGroup just dropped, its state equals its parent's, so the parent stands in for it.
 */
function closeAndLocate<S extends Diffable>(tree: HistoryTree<S>, id: string): { t: HistoryTree<S>; id: string } {
  const t = endGroup(tree);
  const gone = !t.nodes[id] && tree.nodes[id];
  return { t, id: gone ? (tree.nodes[id].parentId ?? t.rootId) : id };
}

/** Result of a head move: the new tree and the diff from the old head's state to the new one's. */
export interface Move<S extends Diffable> {
  tree: HistoryTree<S>;
  diff: Diff;
}

/** Move the head to its parent (no-op at the root). Ends an open gesture first. */
export function undo<S extends Diffable>(tree: HistoryTree<S>): Move<S> {
  const t = endGroup(tree);
  const node = getNode(t, t.head);
  if (node.parentId === null) return { tree: t, diff: [] };
  return {
    tree: { ...t, head: node.parentId, lastVisited: { ...t.lastVisited, [node.parentId]: node.id } },
    diff: reverseDiff(node.diff),
  };
}

/** Move the head to the last-visited child (else the newest child); no-op at a leaf. */
export function redo<S extends Diffable>(tree: HistoryTree<S>): Move<S> {
  const t = endGroup(tree);
  const kids = childrenOf(t, t.head);
  if (kids.length === 0) return { tree: t, diff: [] };
  const target = t.lastVisited[t.head] ?? kids[kids.length - 1].id;
  return { tree: { ...t, head: target }, diff: getNode(t, target).diff };
}

/**
 * Move the head to any node without recording anything (browsing the tree). lastVisited is set
 * along the path so that undo/redo from there walk back and forth along the same branch.
 */
export function checkout<S extends Diffable>(tree: HistoryTree<S>, target: string): Move<S> {
  const { t, id } = closeAndLocate(tree, target);
  const diff = transitionDiff(t, t.head, id);
  const path = pathFromRoot(t, id);
  const lastVisited = { ...t.lastVisited };
  for (let i = 1; i < path.length; i++) lastVisited[path[i - 1]] = path[i];
  return { tree: { ...t, head: id, lastVisited }, diff };
}

/**
 * The draft of "restore node `id`": a new child of the head whose state equals the state at
 * `id`. Its diff is the head→id transition, so nothing is recomputed and no branch is touched.
 */
export function restoreDraft<S extends Diffable>(
  tree: HistoryTree<S>,
  id: string,
  label = `Restored "${getNode(tree, id).label}"`,
  action = 'restore',
  params: JsonValue = { node: id },
): EntryDraft {
  const diff = transitionDiff(tree, tree.head, id);
  const draft: EntryDraft = { action, params, label, diff, capture: 'recorded' };
  const target = stateAt(tree, id).ensemble;
  if (target) draft.weightsRef = ensembleRef(target);
  const m = metricsAt(tree, id);
  if (m) draft.metricsAfter = m;
  return draft;
}

/** Restore node `id` as a new entry (see restoreDraft); returns the move to apply. */
export function restore<S extends Diffable>(tree: HistoryTree<S>, target: string, time: number): Move<S> {
  const { t, id } = closeAndLocate(tree, target);
  const draft = restoreDraft(t, id);
  return { tree: commit(t, draft, time), diff: draft.diff };
}
