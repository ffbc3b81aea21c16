/** Number formatting shared by labels in the store and the views. */
export const fmtPct = (x: number | null | undefined, digits = 1): string =>
  x == null || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(digits)} %`;

export const fmtW = (w: number): string => (Math.abs(w) < 5e-4 ? '0' : w.toFixed(2));

export const fmtDelta = (d: number, digits = 1): string => {
  const v = (d * 100).toFixed(digits);
  return d > 0 ? `+${v}` : Number(v) === 0 ? '±0' : v;
};

export function fmtEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
