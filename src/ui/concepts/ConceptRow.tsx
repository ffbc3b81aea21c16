import { memo, useEffect, useRef, useState } from 'react';
import { studio, useStudio } from '../../state/useStudio.ts';
import { fmtW } from '../../state/format.ts';
import { Evidence } from './Evidence.tsx';

export interface ConceptRowProps {
  cls: number;
  className: string;
  j: number;
  name: string;
  w: number;
  lo: number;
  hi: number;
  range: number;
  factor: number;
  selected: boolean;
  onDrag: (dragging: boolean) => void;
}

const NAV_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'PageUp', 'PageDown', 'Home', 'End']);

/**
 * One concept of the selected class: weight bar with the ensemble's band, a live slider (quick
 * edit through core LiveLogits, throttled to one commit per animation frame), tune actions and,
 * when open, evidence. A pointer-down…pointer-up drag is one edit gesture (one history node);
 * key presses on a focused slider form one gesture until the slider loses focus.
 */
export const ConceptRow = memo(function ConceptRow(p: ConceptRowProps) {
  const [v, setV] = useState(p.w);
  const active = useRef(false);
  const gesture = useRef(false);
  const pending = useRef(p.w);
  const raf = useRef(0);
  useEffect(() => {
    if (!active.current) setV(p.w);
  }, [p.w]);
  useEffect(() => () => cancelAnimationFrame(raf.current), []);

  const begin = () => {
    const e = studio().editing;
    // Still inside this slider's gesture (an undo or a refit in between closes it in the store).
    if (gesture.current && e && e.cls === p.cls && e.concept === p.j) return;
    gesture.current = true;
    studio().commit({ type: 'beginEdit', cls: p.cls, concept: p.j });
  };
  const flush = () => {
    raf.current = 0;
    studio().commit({ type: 'quickEdit', cls: p.cls, concept: p.j, value: pending.current });
  };
  const onValue = (x: number) => {
    setV(x);
    pending.current = x;
    begin();
    if (!raf.current) raf.current = requestAnimationFrame(flush);
  };
  /** Close the gesture: the pending move first, then one history node for all of it. */
  const close = () => {
    if (raf.current) {
      cancelAnimationFrame(raf.current);
      flush();
    }
    if (!gesture.current) return;
    gesture.current = false;
    if (studio().editing) studio().commit({ type: 'endEdit' });
    const m = studio().metrics;
    studio().announce(`Weight of ${p.name} for ${p.className} is ${fmtW(pending.current)}. Fidelity ${m ? (m.fidelity * 100).toFixed(1) : '—'} %.`);
  };
  const endPointer = () => {
    if (!active.current) return;
    active.current = false;
    p.onDrag(false);
    close();
  };

  const W = 150;
  const H = 16;
  const sx = (x: number) => W / 2 + (x / p.range) * (W / 2 - 2);
  const f = p.factor;
  const label = `weight of ${p.name} for ${p.className}`;
  return (
    <div className={`concept-row${p.selected ? ' sel' : ''}`} data-concept={p.name}>
      <button className="name" title={`${p.name}: show evidence`} aria-expanded={p.selected} onClick={() => studio().setUi({ concept: p.selected ? null : p.j })}>
        {p.name}
      </button>
      <svg width={W} height={H} aria-hidden="true">
        <line x1={W / 2} x2={W / 2} y1={0} y2={H} stroke="#c3c8d0" />
        <rect x={Math.min(sx(p.lo), sx(p.hi))} width={Math.max(1, Math.abs(sx(p.hi) - sx(p.lo)))} y={H / 2 - 5} height={10} fill="#e3e6eb" />
        <rect x={Math.min(sx(0), sx(v))} width={Math.max(v === 0 ? 0 : 1, Math.abs(sx(v) - sx(0)))} y={H / 2 - 3} height={6} fill={v >= 0 ? 'var(--pos)' : 'var(--neg)'} />
      </svg>
      <input
        type="range"
        min={-p.range}
        max={p.range}
        step={0.01}
        value={v}
        aria-label={label}
        aria-valuetext={fmtW(v)}
        onPointerDown={() => {
          close(); // a keyboard gesture on this slider ends where the pointer one begins
          active.current = true;
          p.onDrag(true);
          begin();
        }}
        onPointerUp={endPointer}
        onLostPointerCapture={endPointer}
        onBlur={close}
        onKeyDown={(e) => { if (NAV_KEYS.has(e.key)) begin(); }}
        onChange={(e) => onValue(Number(e.currentTarget.value))}
      />
      <span className="num small" style={{ textAlign: 'right' }} title={`band ${fmtW(p.lo)} … ${fmtW(p.hi)}`}>{fmtW(v)}</span>
      <Acts cls={p.cls} j={p.j} name={p.name} className={p.className} factor={f} />
      {p.selected && <Evidence j={p.j} cls={p.cls} />}
    </div>
  );
});

/**
 * The refit buttons of a row. They follow `busy` themselves: a refit starting or ending then
 * re-renders these few buttons, not every row with its bar, slider and number; memoised, so a
 * slider move (which re-renders its row) does not re-render them.
 */
const Acts = memo(function Acts({ cls, j, name, className, factor: f }: { cls: number; j: number; name: string; className: string; factor: number }) {
  const busy = useStudio((s) => s.busy);
  return (
    <span className="acts">
      <button disabled={busy} aria-label={`Uptune ${name} for ${className} ×${f}`} title={`Uptune ×${f} (refit)`} onClick={() => void studio().tune('uptune', cls, j, f)}>↑</button>
      <button disabled={busy} aria-label={`Downtune ${name} for ${className} ×${f}`} title={`Downtune ×${f} (refit)`} onClick={() => void studio().tune('downtune', cls, j, f)}>↓</button>
      <button disabled={busy} aria-label={`Remove ${name} from ${className}`} title="Remove for this class (weight 0, refit)" onClick={() => void studio().tune('remove', cls, j)}>✕</button>
      <button disabled={busy} aria-label={`Ban ${name} for all classes`} title="Ban for all classes (refit)" onClick={() => void studio().tune('banAll', cls, j)}>⊘</button>
    </span>
  );
});
