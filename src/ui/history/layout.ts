/** Provenance tree → positions (d3-hierarchy tidy tree); pure, drawn by HistoryView. */
import { stratify, tree } from 'd3-hierarchy';
import type { HistoryNode } from '../../core/history/types.ts';
import type { Session } from '../../core/project/index.ts';
import { nodesInOrder } from '../../state/project.ts';

export interface LaidNode {
  id: string; x: number; y: number; node: HistoryNode;
  /** Horizontal distance to the next node on the same row, null for the rightmost (its label may run on). */
  room: number | null;
}
export interface LaidLink { from: LaidNode; to: LaidNode; }

export const ROW = 26;
export const COL = 180;

export function layoutTree(session: Session): { nodes: LaidNode[]; links: LaidLink[]; width: number; height: number } {
  const t = session.history;
  const list = nodesInOrder(session);
  if (!list.length) return { nodes: [], links: [], width: 0, height: 0 };
  // Several roots are possible in principle (a second "load"); hang them under a virtual root.
  const roots = list.filter((n) => !n.parentId);
  const virtual = roots.length > 1;
  const rows = virtual ? [{ id: '__root', parentId: null } as unknown as HistoryNode, ...list.map((n) => (n.parentId ? n : { ...n, parentId: '__root' }))] : list;
  const root = stratify<HistoryNode>().id((d) => d.id).parentId((d) => d.parentId)(rows);
  const laid = tree<HistoryNode>().nodeSize([COL, ROW])(root);
  let minX = Infinity;
  let maxX = -Infinity;
  let maxY = 0;
  laid.each((d) => { minX = Math.min(minX, d.x); maxX = Math.max(maxX, d.x); maxY = Math.max(maxY, d.y); });
  const off = virtual ? ROW : 0;
  const byId = new Map<string, LaidNode>();
  const nodes: LaidNode[] = [];
  laid.each((d) => {
    if (d.data.id === '__root') return;
    const n: LaidNode = { id: d.data.id, x: d.x - minX + 12, y: d.y - off + 14, node: t.nodes[d.data.id], room: null };
    byId.set(n.id, n);
    nodes.push(n);
  });
  const byRow = new Map<number, LaidNode[]>();
  for (const n of nodes) byRow.set(n.y, [...(byRow.get(n.y) ?? []), n]);
  for (const row of byRow.values()) {
    row.sort((a, b) => a.x - b.x);
    row.forEach((n, k) => (n.room = k + 1 < row.length ? row[k + 1].x - n.x : null));
  }
  const links: LaidLink[] = [];
  for (const n of nodes) {
    const p = n.node.parentId ? byId.get(n.node.parentId) : undefined;
    if (p) links.push({ from: p, to: n });
  }
  return { nodes, links, width: maxX - minX + COL + 24, height: maxY - off + ROW + 8 };
}
