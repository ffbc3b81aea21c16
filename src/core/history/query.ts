/**
 * Read-only questions about a provenance tree: paths, the state at a node, the diff between
 * two nodes, comparison, and structural checks.
 */

import type { Metrics } from '../types.ts';
import { applyDiff, composeDiffs, reverseDiff, type Diff, type Diffable, type SnapshotResolver, type SparseChange } from './diff.ts';
import type { Flip, HistoryNode, HistoryTree } from './types.ts';

export function getNode<S extends Diffable>(tree: HistoryTree<S>, id: string): HistoryNode {
  const n = tree.nodes[id];
  if (!n) throw new Error(`history has no node ${id}`);
  return n;
}

/** Node ids from the root to `id`, both included. */
export function pathFromRoot<S extends Diffable>(tree: HistoryTree<S>, id: string): string[] {
  const path: string[] = [];
  let cur: string | null = id;
  while (cur !== null) {
    path.push(cur);
    cur = getNode(tree, cur).parentId;
    if (path.length > Object.keys(tree.nodes).length) throw new Error('history has a cycle');
  }
  return path.reverse();
}

/** Children of a node, oldest first. O(n): the tree is small (hundreds of nodes). */
export function childrenOf<S extends Diffable>(tree: HistoryTree<S>, id: string): HistoryNode[] {
  return Object.values(tree.nodes)
    .filter((n) => n.parentId === id)
    .sort((a, b) => a.seq - b.seq);
}

export function resolverOf<S extends Diffable>(tree: HistoryTree<S>): SnapshotResolver {
  return (ref) => tree.snapshots[ref];
}

/** The state at a node: the root snapshot with every diff on the path applied. */
export function stateAt<S extends Diffable>(tree: HistoryTree<S>, id: string): S {
  const resolve = resolverOf(tree);
  let s = tree.root;
  for (const nid of pathFromRoot(tree, id)) s = applyDiff(s, getNode(tree, nid).diff, resolve);
  return s;
}

/**
 * The diff that takes the state at `from` to the state at `to`: reversed diffs up to their
 * lowest common ancestor, then forward diffs down. Used by checkout and restore, so moving
 * between branches costs the two partial paths, not a rebuild from the root.
 */
export function transitionDiff<S extends Diffable>(tree: HistoryTree<S>, from: string, to: string): Diff {
  const up = pathFromRoot(tree, from);
  const down = pathFromRoot(tree, to);
  let common = 0;
  while (common < up.length && common < down.length && up[common] === down[common]) common++;
  const parts: Diff[] = [];
  for (let i = up.length - 1; i >= common; i--) parts.push(reverseDiff(getNode(tree, up[i]).diff));
  for (let i = common; i < down.length; i++) parts.push(getNode(tree, down[i]).diff);
  return composeDiffs(...parts);
}

/** The metrics in force at a node: its own `metricsAfter`, else the nearest ancestor's. */
export function metricsAt<S extends Diffable>(tree: HistoryTree<S>, id: string): Metrics | null {
  let cur: string | null = id;
  while (cur !== null) {
    const n: HistoryNode = getNode(tree, cur);
    if (n.metricsAfter) return n.metricsAfter;
    cur = n.parentId;
  }
  return null;
}

/** One changed weight of the served model, located by class and concept index. */
export interface WeightChange extends SparseChange {
  class: number;
  concept: number;
}

/** The result of comparing two nodes (`a` = before, `b` = after). */
export interface NodeComparison {
  a: string;
  b: string;
  /** Changed served weights; null when either node has no student or the shapes differ. */
  weights: { W: WeightChange[]; b: SparseChange[] } | null;
  /** True when the two students have different C or M (e.g. a corpus change in between). */
  shapeChanged: boolean;
  /** b − a for each metric; null where either side was not measured. */
  metricDelta: { fidelity: number | null; accuracy: number | null };
  /** Images whose prediction differs between a and b; null when it cannot be known. */
  flipped: Flip[] | null;
}

/**
 * Compare two nodes. Flips need predictions: pass `predict` (state → held-out argmax per image)
 * to compare any two nodes; without it, only a parent/child pair has known flips.
 */
export function compareNodes<S extends Diffable>(
  tree: HistoryTree<S>,
  a: string,
  b: string,
  predict?: (state: S) => Int32Array | null,
): NodeComparison {
  const sa = stateAt(tree, a);
  const sb = stateAt(tree, b);
  const ea = sa.ensemble;
  const eb = sb.ensemble;
  let weights: NodeComparison['weights'] = null;
  let shapeChanged = false;
  if (ea && eb) {
    shapeChanged = ea.served.C !== eb.served.C || ea.served.M !== eb.served.M;
    if (!shapeChanged) {
      const M = eb.served.M;
      const W: WeightChange[] = [];
      for (let i = 0; i < eb.served.W.length; i++) {
        const from = ea.served.W[i];
        const to = eb.served.W[i];
        if (!Object.is(from, to)) W.push({ index: i, class: Math.floor(i / M), concept: i % M, from, to });
      }
      const bs: SparseChange[] = [];
      for (let c = 0; c < eb.served.b.length; c++) {
        if (!Object.is(ea.served.b[c], eb.served.b[c])) bs.push({ index: c, from: ea.served.b[c], to: eb.served.b[c] });
      }
      weights = { W, b: bs };
    }
  }
  const ma = metricsAt(tree, a);
  const mb = metricsAt(tree, b);
  const metricDelta = {
    fidelity: ma && mb ? mb.fidelity - ma.fidelity : null,
    accuracy: ma && mb && ma.accuracy !== null && mb.accuracy !== null ? mb.accuracy - ma.accuracy : null,
  };
  let flipped: Flip[] | null = null;
  const pa = predict?.(sa) ?? null;
  const pb = predict?.(sb) ?? null;
  if (pa && pb && pa.length === pb.length) {
    flipped = [];
    for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) flipped.push({ image: i, from: pa[i], to: pb[i] });
  } else if (getNode(tree, b).parentId === a) {
    flipped = getNode(tree, b).flipped ?? null;
  } else if (getNode(tree, a).parentId === b) {
    const f = getNode(tree, a).flipped;
    flipped = f ? f.map((x) => ({ image: x.image, from: x.to, to: x.from })) : null;
  }
  return { a, b, weights, shapeChanged, metricDelta, flipped };
}

/** Structural problems of a tree (empty when sound): used by tests and by imports. */
export function checkTree<S extends Diffable>(tree: HistoryTree<S>): string[] {
  const problems: string[] = [];
  // Trees also come from files: check the shape before walking it.
  if (!isRecord(tree.nodes)) return ['it has no nodes'];
  if (!isRecord(tree.lastVisited)) return ['its lastVisited map is missing'];
  const ids = Object.keys(tree.nodes);
  for (const id of ids) {
    const n = tree.nodes[id] as unknown;
    if (!isRecord(n) || (n.parentId !== null && typeof n.parentId !== 'string')) return [`node ${id} is not a node`];
  }
  const root = tree.nodes[tree.rootId];
  if (!root) problems.push(`root ${tree.rootId} is missing`);
  else if (root.parentId !== null) problems.push('root has a parent');
  if (!tree.nodes[tree.head]) problems.push(`head ${tree.head} is missing`);
  for (const id of ids) {
    const n = tree.nodes[id];
    if (n.id !== id) problems.push(`node stored under ${id} says its id is ${n.id}`);
    if (id !== tree.rootId) {
      if (n.parentId === null) problems.push(`node ${id} is a second root`);
      else if (!tree.nodes[n.parentId]) problems.push(`node ${id} has a missing parent ${n.parentId}`);
    }
    // Walk up: every node must reach the root without a cycle.
    let cur: string | null = id;
    let steps = 0;
    while (cur !== null && tree.nodes[cur] && steps <= ids.length) {
      cur = tree.nodes[cur].parentId;
      steps++;
    }
    if (steps > ids.length) problems.push(`node ${id} is on a cycle`);
  }
  for (const [p, c] of Object.entries(tree.lastVisited)) {
    if (typeof c !== 'string' || tree.nodes[c]?.parentId !== p) problems.push(`lastVisited[${p}] = ${c} is not its child`);
  }
  return problems;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
