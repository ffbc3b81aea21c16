/**
 * Data → scales → paths for the shift simulator's small multiples (STYLE habit 10: pure, tested
 * on its own; ShiftSimulator.tsx only renders). One panel per corruption: x = severity (0 = the
 * clean images), y = accuracy or fidelity, one line per calibration mode.
 */
import { scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import type { ShiftResult } from '../../core/calibration/index.ts';

export type ChartMetric = 'accuracy' | 'fidelity' | 'flagged';
export const CHART_MODES = [
  { key: 'off', label: 'calibration off', dash: '4 3' },
  { key: 'source', label: 'source statistics', dash: '' },
  { key: 'testTime', label: 'test-time statistics', dash: '1 2' },
] as const;
export type ChartModeKey = (typeof CHART_MODES)[number]['key'];

export interface PanelLayout {
  width: number;
  height: number;
  /** Tick positions: x for severities, y for 0, 50, 100 %. */
  xTicks: { v: number; x: number }[];
  yTicks: { v: number; y: number }[];
  lines: { mode: ChartModeKey; d: string; points: { severity: number; value: number; x: number; y: number }[] }[];
}

export const MARGIN = { l: 30, r: 6, t: 6, b: 20 };

/** Layout of one corruption's panel from (severity, result) pairs, clean first. */
export function panelLayout(series: { severity: number; r: ShiftResult }[], metric: ChartMetric, width: number, height: number): PanelLayout {
  const sev = series.map((p) => p.severity);
  const x = scaleLinear().domain([Math.min(0, ...sev), Math.max(1, ...sev)]).range([MARGIN.l, width - MARGIN.r]);
  const y = scaleLinear().domain([0, 1]).range([height - MARGIN.b, MARGIN.t]);
  const lines = CHART_MODES.map(({ key }) => {
    const points = series.flatMap((p) => {
      const v = p.r[key]?.[metric];
      return v == null ? [] : [{ severity: p.severity, value: v, x: x(p.severity), y: y(v) }];
    });
    return { mode: key, points, d: line<{ x: number; y: number }>().x((p) => p.x).y((p) => p.y)(points) ?? '' };
  }).filter((l) => l.points.length > 0);
  return {
    width, height, lines,
    xTicks: x.domain()[1] - x.domain()[0] <= 6 ? Array.from(new Set(sev)).sort((a, b) => a - b).map((v) => ({ v, x: x(v) })) : x.ticks(5).map((v) => ({ v, x: x(v) })),
    yTicks: [0, 0.5, 1].map((v) => ({ v, y: y(v) })),
  };
}
