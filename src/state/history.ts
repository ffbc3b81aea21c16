/**
 * The provenance tree as the store keeps it (METHODS.md §7): nodes by id, a head, and for each
 * node the child last visited so Redo follows the branch the user came from. Nothing here
 * deletes a node; undo only moves the head. UI-side stand-in until core/history lands.
 */
import type { HistoryNode, Snapshot } from './types.ts';

export interface HistoryTree {
  nodes: Record<string, HistoryNode>;
  /** Node ids in creation order (the tree's stable drawing order). */
  order: string[];
  head: string | null;
  /** parent id → the child Redo goes to. */
  redoChild: Record<string, string>;
}

export const emptyTree = (): HistoryTree => ({ nodes: {}, order: [], head: null, redoChild: {} });

let counter = 0;
export function newId(): string {
  counter = (counter + 1) % 1e6;
  return `n${Date.now().toString(36)}${counter.toString(36)}`;
}

export function copySnapshot(s: Snapshot): Snapshot {
  return { W: new Float32Array(s.W), b: new Float32Array(s.b), lo: new Float32Array(s.lo), hi: new Float32Array(s.hi) };
}

/** Append a node as a child of its parentId and make it the head. */
export function addNode(t: HistoryTree, node: HistoryNode): HistoryTree {
  const redoChild = { ...t.redoChild };
  if (node.parentId) redoChild[node.parentId] = node.id;
  return { nodes: { ...t.nodes, [node.id]: node }, order: [...t.order, node.id], head: node.id, redoChild };
}

/** Replace the head node (a merged drag step); its id and parent stay. */
export function replaceHead(t: HistoryTree, node: HistoryNode): HistoryTree {
  if (!t.head || node.id !== t.head) throw new Error('can only replace the head node');
  return { ...t, nodes: { ...t.nodes, [node.id]: node } };
}

export function childrenOf(t: HistoryTree, id: string): string[] {
  return t.order.filter((k) => t.nodes[k].parentId === id);
}

export function undoTarget(t: HistoryTree): string | null {
  return t.head ? t.nodes[t.head].parentId : null;
}

export function redoTarget(t: HistoryTree): string | null {
  if (!t.head) return null;
  const remembered = t.redoChild[t.head];
  if (remembered && t.nodes[remembered]) return remembered;
  const kids = childrenOf(t, t.head);
  return kids.length ? kids[kids.length - 1] : null;
}

/** Move the head to a node (undo/redo); remembers the branch so Redo comes back. */
export function moveHead(t: HistoryTree, id: string): HistoryTree {
  const redoChild = { ...t.redoChild };
  // Walking up: remember which child we came from, so Redo returns along the same branch.
  if (t.head && t.nodes[t.head].parentId === id) redoChild[id] = t.head;
  return { ...t, head: id, redoChild };
}

/** Root-to-node path. */
export function pathTo(t: HistoryTree, id: string): string[] {
  const out: string[] = [];
  for (let k: string | null = id; k; k = t.nodes[k]?.parentId ?? null) out.push(k);
  return out.reverse();
}

/** Largest weight changes between two snapshots: [class, concept, from, to]. */
export function weightDiff(a: Snapshot, b: Snapshot, M: number, limit = 8): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  for (let k = 0; k < a.W.length; k++) {
    if (Math.abs(a.W[k] - b.W[k]) > 1e-6) out.push([Math.floor(k / M), k % M, a.W[k], b.W[k]]);
  }
  out.sort((x, y) => Math.abs(y[3] - y[2]) - Math.abs(x[3] - x[2]));
  return out.slice(0, limit);
}
