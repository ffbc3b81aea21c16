import { memo } from 'react';
import { synthImageAttrs } from '../../state/demoSynthetic.ts';

const BG = ['#9aa7b4', '#4a4f57', '#a57a4f'];
const MAT = ['#c9ced6', '#c9a646', '#2e2f33', '#3f6fb0'];

/** Region r of a grid×grid layout plus the full image (r = 0) as a viewBox in 0..64 units. */
export function regionBox(r: number, grid: number): [number, number, number, number] {
  if (r <= 0 || grid <= 1) return [0, 0, 64, 64];
  const k = r - 1;
  const size = 64 / grid;
  // Crops overlap a little (METHODS.md §1), so grow each by 15 % and clamp.
  const pad = size * 0.15;
  const x = Math.max(0, (k % grid) * size - pad);
  const y = Math.max(0, Math.floor(k / grid) * size - pad);
  return [x, y, Math.min(64 - x, size + 2 * pad), Math.min(64 - y, size + 2 * pad)];
}

/**
 * An image thumbnail: a real URL when the dataset has one, else the synthetic picture drawn
 * from the image's seed. `region` crops to a region of the grid (best crop per concept).
 */
export const Thumb = memo(function Thumb(props: {
  i: number; seed: number; url?: string | null; size: number; region?: number; grid?: number; alt: string;
}) {
  const { i, seed, url, size, region = 0, grid = 2, alt } = props;
  const [bx, by, bw, bh] = regionBox(region, grid);
  if (url) {
    const scale = 64 / bw;
    return (
      <div className="thumb" {...(alt ? { role: 'img', 'aria-label': alt } : { 'aria-hidden': true })} style={{
        width: size, height: size, backgroundImage: `url(${url})`, backgroundSize: `${size * scale}px ${size * scale}px`,
        backgroundPosition: `${(-bx / 64) * size * scale}px ${(-by / 64) * size * scale}px`,
      }} />
    );
  }
  const a = synthImageAttrs(seed, i);
  const m = MAT[a.material];
  const jitter = ((i * 2654435761) >>> 0) / 4294967296;
  const rot = Math.round(jitter * 90);
  return (
    <svg className="thumb" width={size} height={size} viewBox={`${bx} ${by} ${bw} ${bh}`} {...(alt ? { role: 'img', 'aria-label': alt } : { 'aria-hidden': true })}>
      <rect width={64} height={64} fill={BG[a.background]} />
      {a.background === 1 && [8, 24, 40, 56].map((y) => <rect key={y} y={y} width={64} height={2} fill="#5b616b" />)}
      {a.background === 2 && [10, 27, 45].map((y) => <path key={y} d={`M0 ${y} Q32 ${y + 5} 64 ${y - 2}`} stroke="#8b6138" fill="none" />)}
      <g transform={`rotate(${rot} 32 32)`}>
        {a.part === 0 && <><polygon points="32,12 49,22 49,42 32,52 15,42 15,22" fill={m} stroke="#0003" /><circle cx={32} cy={32} r={8} fill={BG[a.background]} /></>}
        {a.part === 1 && <><circle cx={32} cy={32} r={19} fill={m} stroke="#0003" /><circle cx={32} cy={32} r={9} fill={BG[a.background]} /></>}
        {a.part === 2 && <><rect x={28} y={20} width={8} height={32} fill={m} stroke="#0003" /><rect x={22} y={12} width={20} height={9} fill={m} stroke="#0003" /></>}
        {a.part === 3 && <><polygon points={gearPoints()} fill={m} stroke="#0003" /><circle cx={32} cy={32} r={5} fill={BG[a.background]} /></>}
        {a.part === 4 && <polyline points="22,14 42,19 22,24 42,29 22,34 42,39 22,44 42,49" fill="none" stroke={m} strokeWidth={4} />}
        {a.part === 5 && <path d="M18 14 h9 v27 h21 v9 h-30 z" fill={m} stroke="#0003" />}
        {a.cls === 1 && [0, 4, 8].map((d) => <line key={d} x1={20 + d} y1={24} x2={34 + d} y2={38} stroke="#f4f4f4" strokeWidth={0.8} />)}
        {a.cls === 2 && <><circle cx={26} cy={26} r={5} fill="#a0461c" opacity={0.85} /><circle cx={38} cy={35} r={4} fill="#b8571f" opacity={0.8} /><circle cx={30} cy={40} r={3} fill="#8a3a17" opacity={0.8} /></>}
        {a.cls === 3 && <polyline points="20,22 26,30 23,35 31,41 29,47" fill="none" stroke="#111" strokeWidth={1.8} />}
        {a.cls === 4 && <ellipse cx={36} cy={28} rx={6} ry={4} fill="#fff" opacity={0.55} />}
      </g>
      {a.mark === 1 && <rect x={44} y={46} width={12} height={7} fill="#2f6db5" />}
      {a.mark === 2 && <circle cx={50} cy={14} r={4} fill="#d23a2a" />}
      {a.lighting === 1 && <rect width={64} height={64} fill="#000" opacity={0.35} />}
      {a.lighting === 2 && <circle cx={16} cy={14} r={12} fill="#fff" opacity={0.5} />}
      {a.lighting === 3 && <rect width={64} height={64} fill="#fff" opacity={0.28} />}
    </svg>
  );
});

let gear: string | null = null;
function gearPoints(): string {
  if (gear) return gear;
  const pts: string[] = [];
  for (let k = 0; k < 24; k++) {
    const r = k % 2 ? 15 : 20;
    const t = (k / 24) * 2 * Math.PI;
    pts.push(`${(32 + r * Math.cos(t)).toFixed(1)},${(32 + r * Math.sin(t)).toFixed(1)}`);
  }
  return (gear = pts.join(' '));
}
