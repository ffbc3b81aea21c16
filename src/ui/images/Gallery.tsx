import { memo, useMemo, useRef, useState } from 'react';
import { studio, useStudio } from '../../state/useStudio.ts';
import type { Dataset } from '../../state/types.ts';
import { Thumb } from '../components/Thumb.tsx';
import { unfamiliarFlags } from '../../state/ood.ts';
import { badges } from './badges.ts';
import { useClientSize } from '../components/useClientSize.ts';

const TILE_W = 96;
const TILE_H = 125;
const THUMB = 88;

/**
 * Virtualised image grid: only the rows in view (plus one either side) exist in the DOM, so 10k+
 * images scroll smoothly. A listbox with aria-activedescendant: arrow keys step the selection.
 */
export function Gallery(props: { ds: Dataset; items: Int32Array; pred: Int32Array; selected: number | null }) {
  const { ds, items, pred, selected } = props;
  // pred is mutated in place by every slider move: follow the live version here, so only the
  // gallery (and in it only the flipped tiles) re-renders, not the Images view around it.
  useStudio((s) => s.liveVersion);
  // The OOD flag follows the recorded settings and (student score) the head student.
  const session = useStudio((s) => s.session);
  const flags = useMemo(() => unfamiliarFlags(ds, session), [ds, session]);
  const el = useRef<HTMLDivElement>(null);
  const size = useClientSize(el, { w: 400, h: 300 });
  const [scrollTop, setScrollTop] = useState(0);
  const cols = Math.max(1, Math.floor((size.w - 8) / TILE_W));
  const rowsTotal = Math.ceil(items.length / cols);
  const first = Math.max(0, Math.floor(scrollTop / TILE_H) - 1);
  const last = Math.min(rowsTotal, Math.ceil((scrollTop + size.h) / TILE_H) + 1);
  const pos = selected == null ? -1 : indexOf(items, selected);
  const seed = ds.source.kind === 'synthetic' ? ds.source.seed : 0;

  // Tiles skip re-rendering, so their click handler reads the latest items and columns from here.
  const latest = useRef({ items, cols });
  latest.current = { items, cols };
  const select = (k: number) => {
    const { items, cols } = latest.current;
    if (k < 0 || k >= items.length) return;
    studio().setUi({ image: items[k] });
    // Keep the active tile in view (it may not be rendered yet: scroll by arithmetic).
    const node = el.current!;
    const top = Math.floor(k / cols) * TILE_H;
    if (top < node.scrollTop) node.scrollTop = top;
    else if (top + TILE_H > node.scrollTop + node.clientHeight) node.scrollTop = top + TILE_H - node.clientHeight;
  };
  const onKey = (e: React.KeyboardEvent) => {
    const k = pos < 0 ? 0 : pos;
    const page = Math.max(1, Math.floor(size.h / TILE_H)) * cols;
    const next: Record<string, number> = {
      ArrowRight: k + 1, ArrowLeft: k - 1, ArrowDown: k + cols, ArrowUp: k - cols,
      Home: 0, End: items.length - 1, PageDown: k + page, PageUp: k - page,
    };
    if (!(e.key in next)) return;
    e.preventDefault();
    select(Math.max(0, Math.min(items.length - 1, pos < 0 ? 0 : next[e.key])));
  };

  const tiles = [];
  for (let r = first; r < last; r++) {
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      if (k >= items.length) break;
      const i = items[k];
      tiles.push(
        <Tile key={i} i={i} k={k} t={ds.teacherPred[i]} s={pred[i]} y={ds.labels ? ds.labels[i] : -1} u={flags?.[i] === 1} selected={i === selected}
          left={4 + c * TILE_W} top={r * TILE_H} ds={ds} seed={seed} onPick={select} />,
      );
    }
  }
  return (
    <div ref={el} className="gallery" role="listbox" tabIndex={0} aria-label={`Images, ${items.length} shown. Arrow keys move.`}
      aria-activedescendant={pos >= 0 && Math.floor(pos / cols) >= first && Math.floor(pos / cols) < last ? `img-${selected}` : undefined}
      onKeyDown={onKey} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div style={{ height: rowsTotal * TILE_H, position: 'relative' }}>{tiles}</div>
      {!items.length && <p className="empty" style={{ position: 'absolute', inset: 0 }}>No image matches this filter.</p>}
    </div>
  );
}

interface TileProps {
  i: number; k: number; t: number; s: number; y: number; u: boolean; selected: boolean; left: number; top: number;
  ds: Dataset; seed: number; onPick: (k: number) => void;
}
/**
 * One tile. Memoised on its numbers (onPick is compared by identity only when the tile's own
 * values are equal, and it only moves with the layout), so a slider move re-renders just the
 * tiles whose student prediction flipped, not every tile in view.
 */
const Tile = memo(function Tile({ i, k, t, s, y, u, selected, left, top, ds, seed, onPick }: TileProps) {
  const cls = ds.classes;
  return (
    <div id={`img-${i}`} role="option" aria-selected={selected} className={`tile${selected ? ' sel' : ''}`}
      style={{ left, top, width: TILE_W - 4 }}
      title={`${ds.imageNames[i]} · teacher ${cls[t]} · student ${cls[s]}${y >= 0 ? ` · true ${cls[y]}` : ''}${u ? ' · unfamiliar (OOD score below the threshold)' : ''}`}
      onClick={() => onPick(k)}>
      <Thumb i={i} seed={seed} url={ds.thumbs?.[i]} size={THUMB} alt="" />
      {u && <span className="ood-badge" aria-label="unfamiliar image">?</span>}
      <div className="badges" aria-label={`teacher ${cls[t]}, student ${cls[s]}${y >= 0 ? `, true ${cls[y]}` : ''}`}>
        {badges(t, s, y).map((b) => (
          <span key={b.roles} className={b.roles.includes('S') && !b.roles.includes('T') ? 'mis' : ''}>{b.roles} {cls[b.c]}</span>
        ))}
      </div>
    </div>
  );
}, (a, b) => a.i === b.i && a.k === b.k && a.t === b.t && a.s === b.s && a.y === b.y && a.u === b.u && a.selected === b.selected
  && a.left === b.left && a.top === b.top && a.ds === b.ds && a.seed === b.seed);

function indexOf(a: Int32Array, v: number): number {
  // Items are in ascending dataset order: binary search.
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (a[m] === v) return m;
    if (a[m] < v) lo = m + 1;
    else hi = m - 1;
  }
  return -1;
}
