import { useEffect, useMemo, useRef } from 'react';
import { fmtDelta } from '../../state/format.ts';
import { studio, useStudio } from '../../state/useStudio.ts';
import { Panel } from '../components/Panel.tsx';
import { useClientSize } from '../components/useClientSize.ts';
import { UndoRedo } from '../Studio.tsx';
import { COL, layoutTree, ROW } from './layout.ts';
import type { HistoryNode } from '../../core/history/types.ts';
import { nodeMetrics } from '../../state/project.ts';
import { NodeDetails } from './NodeDetails.tsx';

const ICON: Record<string, string> = {
  init: '●', distill: '◆', quickEdit: '✎', tune: '⇅', ban: '⊘', remove: '✕', restore: '↺', revert: '↺',
  corpusChange: '≡', teacherChange: 'T', calibrationChange: '◐', importStudent: '⇩',
};

/** Icon of a node: tune nodes show their operation (ban, remove) when it has its own icon. */
function iconOf(n: HistoryNode): string {
  const op = n.action === 'tune' && n.params && typeof n.params === 'object' && !Array.isArray(n.params) ? n.params.op : null;
  return (typeof op === 'string' && ICON[op]) || ICON[n.action] || '•';
}

/** Width a node's label may take: up to the next node on its row, else to the panel's edge. */
const labelRoom = (room: number | null, toEdge: number) => Math.max(COL - 14, room != null ? room - 14 : toEdge - 8);

/** The provenance tree, laid out by d3-hierarchy and drawn by React into its own SVG. */
export function HistoryView() {
  // Follows `settled`, not every drag move: the tree is redrawn when a step is done.
  useStudio((s) => s.settled);
  const session = studio().session;
  const sel = useStudio((s) => s.ui.historySel);
  const cmp = useStudio((s) => s.ui.historyCompare);
  const layout = useMemo(() => (session ? layoutTree(session) : { nodes: [], links: [], width: 0, height: 0 }), [session]);
  const scroller = useRef<HTMLDivElement>(null);
  // The panel's width: a label runs on to the next node to its right, or to the panel's edge.
  const boxW = useClientSize(scroller, { w: 0, h: 0 }, !!session).w;
  const head = session?.history.head;
  const headPos = layout.nodes.find((n) => n.id === head);
  useEffect(() => {
    const el = scroller.current;
    if (!el || !headPos) return;
    if (headPos.y < el.scrollTop || headPos.y > el.scrollTop + el.clientHeight - ROW) el.scrollTop = headPos.y - el.clientHeight / 2;
  }, [headPos?.y, headPos]);
  if (!session) return <Panel id="history" title="History" flush style={{ flex: '45 1 0' }}><p className="empty">No project yet.</p></Panel>;
  const tree = session.history;
  const svgW = Math.max(layout.width, 200, boxW);
  const shown = sel && tree.nodes[sel] ? sel : head;
  return (
    <Panel id="history" title="History" flush style={{ flex: '45 1 0' }} sub={`${layout.nodes.length} step${layout.nodes.length === 1 ? '' : 's'}`} tools={<UndoRedo />}>
      <div className="tree" ref={scroller} style={{ flex: 1, overflow: 'auto', minHeight: 0 }}>
        <svg width={svgW} height={layout.height} role="tree" aria-label="Provenance tree">
          {layout.links.map((l) => (
            <path key={l.to.id} className="link" d={`M${l.from.x},${l.from.y} C${l.from.x},${(l.from.y + l.to.y) / 2} ${l.to.x},${(l.from.y + l.to.y) / 2} ${l.to.x},${l.to.y}`} />
          ))}
          {layout.nodes.map((n) => {
            const now = nodeMetrics(session, n.id);
            const before = n.node.parentId ? nodeMetrics(session, n.node.parentId) : null;
            const d = now && before ? now.fidelity - before.fidelity : null;
            const cls = `node${n.id === head ? ' head' : ''}${n.id === shown ? ' sel' : ''}${n.id === cmp ? ' cmp' : ''}`;
            return (
              <g key={n.id} className={cls} transform={`translate(${n.x},${n.y})`} role="treeitem" tabIndex={0}
                aria-selected={n.id === shown} aria-current={n.id === head ? 'step' : undefined}
                onClick={(e) => studio().setUi(e.shiftKey ? { historyCompare: n.id } : { historySel: n.id })}
                onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); studio().setUi({ historySel: n.id }); } }}
                style={{ cursor: 'pointer' }}>
                <title>{n.node.label}</title>
                <clipPath id={`hist-clip-${n.id}`}><rect x={-10} y={-12} width={labelRoom(n.room, svgW - n.x)} height={24} /></clipPath>
                <rect className="hit" x={-8} y={-ROW / 2 + 2} width={labelRoom(n.room, svgW - n.x) + 4} height={ROW - 4} rx={4} fill="transparent" />
                <circle r={5} />
                {/* The full label is the accessible name; the clip only trims what is drawn. */}
                <text x={10} y={4} clipPath={`url(#hist-clip-${n.id})`}>
                  <tspan fill="#8a929e">{iconOf(n.node)} </tspan>
                  {d != null && Math.abs(d) >= 5e-4 && <tspan fill={d > 0 ? 'var(--pos)' : 'var(--neg)'} fontSize={10}>{fmtDelta(d)} </tspan>}
                  {n.node.label}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      {shown && <NodeDetails id={shown} />}
    </Panel>
  );
}
