import { describe, expect, it } from 'vitest';
import { centreCropWithin, gridCells, modelView, regionCount } from './modelView.ts';
import { gridBoxes, regionCount as mlRegionCount } from '../../ml/preprocess.ts';

describe('modelView: the regions the model sees', () => {
  it('centre-crops the long side of a landscape image to the middle square', () => {
    const [full] = modelView(400, 200, { grid: 1, pad: false });
    expect(full.box).toEqual([0, 0, 400, 200]);
    expect(full.seen).toEqual([100, 0, 300, 200]);
    expect(full.lost).toBeCloseTo(0.5, 12);
  });

  it('centre-crops a portrait image top and bottom; a square image loses nothing', () => {
    expect(modelView(300, 600, { grid: 1, pad: false })[0].seen).toEqual([0, 150, 300, 450]);
    const sq = modelView(512, 512, { grid: 1, pad: false })[0];
    expect(sq.seen).toEqual([0, 0, 512, 512]);
    expect(sq.lost).toBe(0);
  });

  it('follows the integer resize and floor of the crop offset (odd sizes)', () => {
    // 225×224 → resized 225×224 (S = 224), crop offset floor(1/2) = 0: the last column is lost.
    expect(centreCropWithin(225, 224)).toEqual([0, 0, 224, 224]);
    // 640×480: long edge int(224·640/480) = 298, left = 37 → 37·640/298.
    const c = centreCropWithin(640, 480);
    expect(c[0]).toBeCloseTo((37 * 640) / 298, 10);
    expect(c[2]).toBeCloseTo((261 * 640) / 298, 10);
    expect([c[1], c[3]]).toEqual([0, 480]);
  });

  it('padding to square keeps every pixel of every region', () => {
    for (const r of modelView(640, 360, { grid: 3, pad: true })) {
      expect(r.seen).toEqual(r.box);
      expect(r.lost).toBe(0);
    }
  });

  it('grid regions: full image first, then the same cells as ml/preprocess gridBoxes', () => {
    for (const [w, h] of [[640, 480], [101, 37], [224, 224], [1000, 3]]) {
      for (const n of [2, 3] as const) {
        const v = modelView(w, h, { grid: n, pad: false });
        expect(v.length).toBe(regionCount(n));
        expect(regionCount(n)).toBe(mlRegionCount(n));
        expect(v[0].box).toEqual([0, 0, w, h]);
        expect(gridCells(w, h, n)).toEqual(gridBoxes(w, h, n));
        expect(v.slice(1).map((r) => r.box)).toEqual(gridBoxes(w, h, n));
        // Every seen box lies inside its region.
        for (const r of v) {
          expect(r.seen[0]).toBeGreaterThanOrEqual(r.box[0] - 1e-9);
          expect(r.seen[2]).toBeLessThanOrEqual(r.box[2] + 1e-9);
        }
      }
    }
  });

  it('refuses an empty image', () => {
    expect(() => modelView(0, 10, { grid: 1, pad: false })).toThrow(/positive size/);
  });
});
