import { useEffect, useMemo, useRef, useState } from 'react';
import { useStudio } from '../../state/useStudio.ts';
import { fmtW } from '../../state/format.ts';
import { weightColor } from '../components/colors.ts';
import { useClientSize } from '../components/useClientSize.ts';

const LABEL_W = 84;

function prepare(cv: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  if (cv.width !== Math.round(w * dpr)) cv.width = Math.round(w * dpr);
  if (cv.height !== Math.round(h * dpr)) cv.height = Math.round(h * dpr);
  const g = cv.getContext('2d')!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  return g;
}
const CELL_H = 15;
const EMPTY = new Float32Array(0);

/**
 * Class × concept weight heatmap on a canvas: a thousand cells repaint in well under a
 * millisecond while a slider moves, where as many SVG nodes would not. The focusable wrapper
 * gives keyboard access (arrows move, Enter selects) and the caption says what is under the cursor.
 */
export function Heatmap(props: {
  M: number; classes: string[]; concepts: string[]; order: number[];
  cls: number; concept: number | null; onSelect: (cls: number, concept: number) => void;
}) {
  const { M, classes, concepts, order, cls, concept } = props;
  // The live weights (a new array on every slider move): only this canvas follows each move.
  const W = useStudio((s) => s.ensemble?.served.W) ?? EMPTY;
  const max = useMemo(() => {
    let m = 0;
    for (let k = 0; k < W.length; k++) m = Math.max(m, Math.abs(W[k]));
    return m || 1;
  }, [W]);
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const labels = useRef<HTMLCanvasElement>(null);
  const width = useClientSize(wrap, { w: 620, h: 0 }).w - 20;
  const [cursor, setCursor] = useState<[number, number] | null>(null);
  const C = classes.length;
  const cw = Math.max(5, Math.min(22, Math.floor((width - LABEL_W - 4) / Math.max(1, order.length))));
  // Column labels stand upright (one line of 10 px type per column), so they need cw ≥ 11 to
  // stay apart; narrower columns get no labels (the caption names the cell under the cursor).
  const showCols = cw >= 11;
  const top = showCols ? 96 : 4;
  const h = top + C * CELL_H + 2;
  const w = LABEL_W + order.length * cw + 2;

  // Two layers: labels change only with order/selection; cells repaint on every slider move.
  useEffect(() => {
    const cv = labels.current;
    if (!cv) return;
    const g = prepare(cv, w, h);
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    g.textAlign = 'right';
    for (let c = 0; c < C; c++) {
      g.fillStyle = c === cls ? '#0f766e' : '#1d2330';
      g.fillText(classes[c], LABEL_W - 6, top + c * CELL_H + CELL_H / 2);
    }
    if (showCols) {
      g.textAlign = 'left';
      g.font = '10px system-ui, sans-serif';
      for (let k = 0; k < order.length; k++) {
        g.save();
        g.translate(LABEL_W + k * cw + cw / 2, top - 4);
        g.rotate(-Math.PI / 2);
        g.fillStyle = order[k] === concept ? '#0f766e' : '#5b6472';
        const name = concepts[order[k]];
        g.fillText(name.length > 17 ? name.slice(0, 16) + '…' : name, 0, 0);
        g.restore();
      }
    }
  }, [C, classes, concepts, order, cls, concept, cw, w, h, top, showCols]);

  useEffect(() => {
    const cv = canvas.current;
    if (!cv) return;
    const g = prepare(cv, w, h);
    for (let c = 0; c < C; c++) {
      for (let k = 0; k < order.length; k++) {
        g.fillStyle = weightColor(W[c * M + order[k]], max);
        g.fillRect(LABEL_W + k * cw, top + c * CELL_H, cw - 1, CELL_H - 1);
      }
    }
    // Selected class row and concept column outlines, then the keyboard cursor.
    g.strokeStyle = '#0f766e';
    g.lineWidth = 1.5;
    g.strokeRect(LABEL_W - 0.5, top + cls * CELL_H - 0.5, order.length * cw, CELL_H);
    const ck = concept == null ? -1 : order.indexOf(concept);
    if (ck >= 0) g.strokeRect(LABEL_W + ck * cw - 0.5, top - 0.5, cw, C * CELL_H);
    if (cursor) {
      g.strokeStyle = '#1d2330';
      g.lineWidth = 2;
      g.strokeRect(LABEL_W + cursor[1] * cw, top + cursor[0] * CELL_H, cw - 1, CELL_H - 1);
    }
  }, [W, M, C, order, cls, concept, max, cw, w, h, top, cursor]);

  const cellAt = (e: React.MouseEvent): [number, number] | null => {
    const r = canvas.current!.getBoundingClientRect();
    const k = Math.floor((e.clientX - r.left - LABEL_W) / cw);
    const c = Math.floor((e.clientY - r.top - top) / CELL_H);
    return k >= 0 && k < order.length && c >= 0 && c < C ? [c, k] : null;
  };
  const onKey = (e: React.KeyboardEvent) => {
    const cur = cursor ?? [cls, Math.max(0, concept == null ? 0 : order.indexOf(concept))];
    let [c, k] = cur;
    if (e.key === 'ArrowRight') k = Math.min(order.length - 1, k + 1);
    else if (e.key === 'ArrowLeft') k = Math.max(0, k - 1);
    else if (e.key === 'ArrowDown') c = Math.min(C - 1, c + 1);
    else if (e.key === 'ArrowUp') c = Math.max(0, c - 1);
    else if (e.key === 'Home') k = 0;
    else if (e.key === 'End') k = order.length - 1;
    else if (e.key === 'Enter' || e.key === ' ') {
      if (order.length) props.onSelect(c, order[k]);
    } else return;
    e.preventDefault();
    setCursor([c, k]);
  };
  const shown = cursor && order.length ? cursor : null;
  return (
    <div className="heatmap-wrap" ref={wrap} tabIndex={0} role="group" onKeyDown={onKey} onBlur={() => setCursor(null)}
      aria-label="Weight heatmap, classes by concepts. Arrow keys move, Enter selects the class and concept." aria-describedby="heat-caption">
      <div style={{ position: 'relative', width: w, height: h }}>
      <canvas ref={labels} style={{ position: 'absolute', inset: 0, width: w, height: h }} aria-hidden="true" />
      <canvas
        ref={canvas}
        style={{ position: 'absolute', inset: 0, width: w, height: h, display: 'block', cursor: 'pointer' }}
        aria-hidden="true"
        onMouseMove={(e) => setCursor(cellAt(e))}
        onMouseLeave={() => setCursor(null)}
        onClick={(e) => {
          const at = cellAt(e);
          if (at) props.onSelect(at[0], order[at[1]]);
        }}
      />
      </div>
      <div className="heat-caption num" id="heat-caption" aria-live="off">
        {shown
          ? `${classes[shown[0]]} × ${concepts[order[shown[1]]]}: ${fmtW(W[shown[0] * M + order[shown[1]]])}`
          : `${order.length} of ${M} concepts · blue counts for the class, orange against · click a cell to select`}
      </div>
    </div>
  );
}
