import { useMemo } from 'react';
import { studio, useStudio } from '../../state/useStudio.ts';
import type { Dataset } from '../../state/types.ts';
import { Thumb } from '../components/Thumb.tsx';

const BINS = 28;

function histogram(ds: Dataset, j: number, cls: number) {
  const { N, M, raw, teacherPred } = ds;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < N; i++) {
    const v = raw.data[i * M + j];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const w = (hi - lo) / BINS || 1;
  const inCls = new Array(BINS).fill(0);
  const other = new Array(BINS).fill(0);
  for (let i = 0; i < N; i++) {
    const b = Math.min(BINS - 1, Math.floor((raw.data[i * M + j] - lo) / w));
    (teacherPred[i] === cls ? inCls : other)[b]++;
  }
  // Top-activating images.
  const idx = Array.from({ length: N }, (_, i) => i);
  idx.sort((a, b) => raw.data[b * M + j] - raw.data[a * M + j]);
  return { lo, hi, inCls, other, top: idx.slice(0, 8) };
}

/** Concept evidence (METHODS.md §6): activation histogram and the top-activating images with their best crop. */
export function Evidence({ j, cls }: { j: number; cls: number }) {
  const ds = useStudio((s) => s.dataset)!;
  const h = useMemo(() => histogram(ds, j, cls), [ds, j, cls]);
  const max = Math.max(1, ...h.inCls.map((v, k) => v + h.other[k]));
  const W = 210;
  const H = 70;
  const bw = W / BINS;
  const seed = ds.source.kind === 'synthetic' ? ds.source.seed : 0;
  return (
    <div className="evidence" aria-label={`Evidence for ${ds.concepts[j]}`} role="group">
      <figure style={{ margin: 0 }}>
        <svg width={W} height={H + 14} role="img" aria-label={`Histogram of ${ds.concepts[j]} activations over ${ds.N} images; orange part: images the teacher calls ${ds.classes[cls]}`}>
          {h.other.map((v, k) => {
            const a = h.inCls[k];
            const yA = H - ((v + a) / max) * H;
            return (
              <g key={k}>
                <rect x={k * bw} width={bw - 1} y={yA} height={(a / max) * H} fill="var(--neg)" />
                <rect x={k * bw} width={bw - 1} y={yA + (a / max) * H} height={(v / max) * H} fill="#b9c0ca" />
              </g>
            );
          })}
          <text x={0} y={H + 12} fontSize={10} fill="#5b6472">{h.lo.toFixed(3)}</text>
          <text x={W} y={H + 12} fontSize={10} fill="#5b6472" textAnchor="end">{h.hi.toFixed(3)}</text>
        </svg>
        <figcaption className="small muted">raw cosine; <span className="neg">■</span> teacher says {ds.classes[cls]}</figcaption>
      </figure>
      <div>
        <div className="small muted" style={{ marginBottom: 2 }}>Top images (best crop)</div>
        <div className="row wrap" style={{ gap: 3, maxWidth: 250 }}>
          {h.top.map((i) => (
            <button key={i} className="icon" style={{ padding: 1 }} onClick={() => studio().setUi({ image: i })} aria-label={`Open ${ds.imageNames[i]}`}>
              <Thumb i={i} seed={seed} url={ds.thumbs?.[i]} size={40} region={ds.bestRegion ? ds.bestRegion[i * ds.M + j] : 0} grid={ds.regionGrid} alt="" />
            </button>
          ))}
        </div>
      </div>
    </div>
  );
}
