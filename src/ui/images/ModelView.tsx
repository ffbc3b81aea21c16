import { useState } from 'react';
import { modelView, type RegionGrid } from '../../core/geometry/modelView.ts';
import { studio, useStudio } from '../../state/useStudio.ts';
import type { Dataset } from '../../state/types.ts';
import { Thumb } from '../components/Thumb.tsx';

const SIDE = 96;
/** Size of the synthetic pictures (drawn in a 64-unit square): they are the images themselves. */
const SYNTH = 64;

/**
 * "No silent cropping": the image with the exact region(s) the model sees drawn over it — the
 * centre crop of CLIP preprocessing (what falls outside is dimmed), and the grid cells when the
 * project uses a 2×2 or 3×3 region grid — plus the project setting to pad to square instead.
 */
export function ModelView({ ds, i, part }: { ds: Dataset; i: number; part: 'image' | 'note' }) {
  const pad = useStudio((s) => s.settings.padToSquare);
  const url = ds.thumbs?.[i] || null;
  // Without recorded original sizes, a thumbnail's natural size gives the aspect ratio (the
  // crop geometry depends only on it); synthetic pictures are 64×64 squares.
  const [nat, setNat] = useState<{ url: string; w: number; h: number } | null>(null);
  const known = ds.sizes ? { w: ds.sizes[2 * i], h: ds.sizes[2 * i + 1] } : url ? (nat?.url === url ? nat : null) : { w: SYNTH, h: SYNTH };
  const w = known?.w ?? SYNTH;
  const h = known?.h ?? SYNTH;
  const what = ds.sizes || !url ? `${w}×${h} image` : `image (${w}:${h} by its thumbnail)`;
  const grid = (ds.regionGrid >= 3 ? 3 : ds.regionGrid === 2 ? 2 : 1) as RegionGrid;
  const regions = modelView(w, h, { grid, pad });
  const k = SIDE / Math.max(w, h);
  const W = Math.round(w * k);
  const H = Math.round(h * k);
  const full = regions[0];
  const [sx0, sy0, sx1, sy1] = full.seen.map((v) => v * k);
  const seed = ds.source.kind === 'synthetic' ? ds.source.seed : 0;
  const lostPct = Math.round(full.lost * 100);
  const summary = pad
    ? `Padded to a square: the model sees all of this ${what}${grid > 1 ? ` and all of each of its ${grid}×${grid} regions` : ''}.`
    : full.lost > 0
      ? `Centre crop: the model sees the outlined square; ${lostPct} % of this ${what} (dimmed) is cut off.`
      : `Square ${what}: the centre crop keeps all of it.`;
  if (part === 'note') {
    return (
      <div className="model-note small">
        <span><strong>Model sees:</strong> <span data-testid="model-view-summary">{summary}</span>
          {grid > 1 && <span className="muted"> Yellow: the {grid}×{grid} overlapping regions, each {pad ? 'padded' : 'centre-cropped'} the same way.</span>}</span>
        <label className="row">
          <input type="checkbox" checked={pad} onChange={(e) => studio().commit({ type: 'settings', patch: { padToSquare: e.target.checked } })} />
          Pad to square instead (project setting; applies to future embeddings)
        </label>
      </div>
    );
  }
  return (
    <figure className="model-view" aria-label={`What the model sees of ${ds.imageNames[i]}: ${summary}`} title={summary}>
      <div style={{ position: 'relative', width: W, height: H, flex: 'none' }}>
        {url
          ? <img src={url} alt={ds.imageNames[i]} width={W} height={H} style={{ display: 'block', objectFit: 'fill' }}
              onLoad={(e) => setNat({ url, w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })} />
          : <Thumb i={i} seed={seed} size={W} alt={ds.imageNames[i]} />}
        <svg width={W} height={H} style={{ position: 'absolute', inset: 0 }} aria-hidden="true" data-testid="model-view-overlay">
          {!pad && full.lost > 0 && (
            <path fillRule="evenodd" fill="#000" opacity={0.55} d={`M0 0H${W}V${H}H0Z M${sx0} ${sy0}H${sx1}V${sy1}H${sx0}Z`} />
          )}
          <rect x={sx0 + 1} y={sy0 + 1} width={Math.max(0, sx1 - sx0 - 2)} height={Math.max(0, sy1 - sy0 - 2)} fill="none" stroke="#fff" strokeWidth={2} />
          <rect x={sx0 + 1} y={sy0 + 1} width={Math.max(0, sx1 - sx0 - 2)} height={Math.max(0, sy1 - sy0 - 2)} fill="none" stroke="#0f766e" strokeWidth={1} strokeDasharray="4 3" />
          {regions.slice(1).map((r) => (
            <rect key={r.index} x={r.seen[0] * k + 0.5} y={r.seen[1] * k + 0.5} width={(r.seen[2] - r.seen[0]) * k - 1} height={(r.seen[3] - r.seen[1]) * k - 1}
              fill="none" stroke="#facc15" strokeOpacity={0.9} strokeWidth={1} />
          ))}
        </svg>
      </div>
    </figure>
  );
}
