import { describe, it, expect } from 'vitest';
import { panelLayout, MARGIN } from './shiftChart.ts';
import type { ModeResult, ShiftResult } from '../../core/calibration/index.ts';

const mode = (accuracy: number, fidelity: number): ModeResult => ({ n: 10, accuracy, fidelity, flagged: 0, pred: new Int32Array(0) });
const res = (a: number, b: number, c: number | null): ShiftResult => ({ off: mode(a, a), source: mode(b, b), testTime: c == null ? null : mode(c, c), note: null });

describe('shift chart layout', () => {
  it('maps severity to x and the metric to y (0 at the bottom, 100 % at the top), one line per mode with data', () => {
    const L = panelLayout([{ severity: 0, r: res(1, 1, 1) }, { severity: 2, r: res(0.5, 0.75, null) }, { severity: 5, r: res(0, 0.5, null) }], 'accuracy', 200, 100);
    expect(L.lines.map((l) => l.mode)).toEqual(['off', 'source', 'testTime']);
    const off = L.lines[0].points;
    expect(off[0].x).toBe(MARGIN.l);
    expect(off[2].x).toBe(200 - MARGIN.r);
    expect(off[0].y).toBe(MARGIN.t);
    expect(off[2].y).toBe(100 - MARGIN.b);
    expect(L.lines[1].points[1].y).toBeCloseTo(MARGIN.t + 0.25 * (100 - MARGIN.b - MARGIN.t));
    expect(L.lines[2].points).toHaveLength(1); // test-time only where the batch was large enough
    expect(L.xTicks.map((t) => t.v)).toEqual([0, 2, 5]);
    expect(L.lines[0].d.startsWith(`M${MARGIN.l},${MARGIN.t}`)).toBe(true);
  });
});
