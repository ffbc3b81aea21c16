/** Colour scales: diverging blue (counts for) / orange (counts against) for weights. */
import { scaleDiverging } from 'd3-scale';

const POS = [47, 109, 181];
const NEG = [217, 115, 26];
const MID = [246, 247, 249];

function mix(a: number[], b: number[], t: number): string {
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Colour for a weight w given the largest magnitude in view. */
let scale = scaleDiverging<number>().domain([-1, 0, 1]).clamp(true).interpolator((t) => t);
let scaleMax = 1;
export function weightColor(w: number, max: number): string {
  // One scale reused across cells: the heatmap repaints every cell on every slider move.
  if (max !== scaleMax) {
    scale = scale.copy().domain([-max, 0, max]);
    scaleMax = max;
  }
  const t = scale(w); // 0..1, 0.5 at zero
  // sqrt keeps small weights visible without saturating big ones.
  return t >= 0.5 ? mix(MID, POS, Math.sqrt((t - 0.5) * 2)) : mix(MID, NEG, Math.sqrt((0.5 - t) * 2));
}

/** Readable text colour on top of a weight colour. */
export const inkOn = (w: number, max: number): string => (Math.abs(w) / (max || 1) > 0.45 ? '#fff' : '#1d2330');

/** Sequential teal for counts (confusion matrices). */
export function countColor(frac: number, diagonal: boolean): string {
  const base = diagonal ? [15, 118, 110] : [180, 35, 24];
  // Capped tint: dark text stays readable on every cell (WCAG AA contrast).
  return mix([250, 251, 252], base, Math.min(1, Math.sqrt(frac)) * 0.45);
}
