import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import type { Ensemble } from '../../core/types.ts';
import { ConceptRow } from './ConceptRow.tsx';

/** Rows rendered beyond the visible ones on each side: Tab and Shift+Tab always find the next row in the DOM. */
const OVERSCAN = 12;
/** A row without evidence open (measured rows replace the estimate). */
const ROW_H = 28;

export interface ConceptListProps {
  /** Concept indices in display order (ranked by |weight| for the class). */
  rows: number[];
  cls: number;
  className: string;
  concepts: string[];
  M: number;
  ensemble: Ensemble;
  range: number;
  factor: number;
  /** The concept whose evidence is open. */
  selected: number | null;
  query: string;
  onDrag: (dragging: boolean) => void;
}

/**
 * The concept rows of the selected class, virtualised: only the rows in view (plus
 * {@link OVERSCAN} on each side) are in the DOM, so a refit with hundreds of concepts re-renders a
 * few dozen rows, not all of them. The row holding keyboard focus and the selected concept's row
 * always stay rendered (focus is never lost to scrolling), and selecting a concept elsewhere (the
 * heatmap) scrolls its row into view. Every concept stays reachable: scrolling or tabbing renders
 * the next rows, and the search box filters the list.
 */
export function ConceptList(p: ConceptListProps) {
  const { rows, cls, M, ensemble } = p;
  const scroller = useRef<HTMLDivElement>(null);
  const head = useRef<HTMLDivElement>(null);
  const [headH, setHeadH] = useState(0);
  /** The concept whose row holds focus (kept rendered while it does). */
  const [focused, setFocused] = useState<number | null>(null);
  useLayoutEffect(() => setHeadH(head.current?.offsetHeight ?? 0), []);

  // Rows that must stay in the DOM whatever the scroll position.
  const pinned = useRef<number[]>([]);
  pinned.current = [focused, p.selected].map((j) => (j == null ? -1 : rows.indexOf(j))).filter((k) => k >= 0);
  const rangeExtractor = useCallback((r: Range) => {
    const out = defaultRangeExtractor(r);
    const extra = pinned.current.filter((k) => k < r.count && !out.includes(k));
    return extra.length ? [...out, ...extra].sort((a, b) => a - b) : out;
  }, []);

  const v = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_H,
    overscan: OVERSCAN,
    scrollMargin: headH,
    getItemKey: (k) => rows[k],
    rangeExtractor,
    // Before the first measurement (and in tests without layout), render a screenful.
    initialRect: { width: 600, height: 400 },
  });

  // A concept selected elsewhere (heatmap, keyboard) comes into view with its evidence.
  const selIndex = p.selected == null ? -1 : rows.indexOf(p.selected);
  useEffect(() => {
    if (selIndex >= 0) v.scrollToIndex(selIndex, { align: 'auto' });
    // Only when the selection moves, not on every re-rank after a refit.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [p.selected]);

  const onFocus = (e: React.FocusEvent) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-j]');
    const j = row ? Number(row.dataset.j) : null;
    if (j !== focused) setFocused(j);
  };
  const onBlur = (e: React.FocusEvent) => {
    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setFocused(null);
  };

  const W = ensemble.served.W;
  const items = v.getVirtualItems();
  return (
    <div ref={scroller} className="concept-list" role="group" onFocus={onFocus} onBlur={onBlur}
      aria-label={`Concepts ranked by weight for ${p.className}, ${rows.length} shown. Scroll, tab or search to reach the others.`}>
      <div className="concept-head" aria-hidden="true" ref={head}>
        <span>concept (click: evidence)</span><span>weight · band (10–90 %)</span><span>quick edit</span><span style={{ textAlign: 'right' }}>w</span><span>refit: ↑ ↓ ✕ ⊘</span>
      </div>
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {items.map((it) => {
          const j = rows[it.index];
          const k = cls * M + j;
          return (
            <div key={it.key} data-index={it.index} data-j={j} ref={v.measureElement} className="concept-slot"
              style={{ transform: `translateY(${it.start - headH}px)` }}>
              <ConceptRow cls={cls} className={p.className} j={j} name={p.concepts[j]} w={W[k]} lo={ensemble.lo[k]} hi={ensemble.hi[k]}
                range={p.range} factor={p.factor} selected={p.selected === j} onDrag={p.onDrag} />
            </div>
          );
        })}
      </div>
      {!rows.length && <p className="empty">No concept matches “{p.query}”.</p>}
    </div>
  );
}
