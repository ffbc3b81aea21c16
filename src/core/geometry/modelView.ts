/**
 * Which pixels of an image the model actually sees ("no silent cropping"). CLIP preprocessing
 * resizes the shortest edge to S and centre-crops S×S, so the borders of a non-square image are
 * thrown away; with "pad to square" the image is first padded (mean colour) to a centred square,
 * so nothing is lost. With a 2×2 or 3×3 region grid each grid cell goes through the same step.
 * All boxes are [x0, y0, x1, y1] in the original image's pixel coordinates. Pure geometry: the
 * views draw these boxes; ml/preprocess.ts does the pixels (its `gridBoxes` is the same formula).
 */

export type Box = [number, number, number, number];
export type RegionGrid = 1 | 2 | 3;

export interface ViewOptions {
  /** Region grid side: 1 = full image only; 2, 3 = full image plus 4 or 9 overlapping cells. */
  grid: RegionGrid;
  /** Pad each region to a centred square instead of centre-cropping it. */
  pad: boolean;
  /** Model input side S (shortest-edge resize and square crop); 224 for the CLIP models. */
  size?: number;
}

export interface ViewRegion {
  /** 0 = full image, then grid cells row by row. */
  index: number;
  /** The region cut out of the image (the whole image for index 0). */
  box: Box;
  /** The part of `box` the model sees after resize + centre crop (= box when padding). */
  seen: Box;
  /** Fraction of the region's area that the centre crop discards (0 when padding). */
  lost: number;
}

/** Regions per image: the full image first, then the grid cells. */
export const regionCount = (grid: RegionGrid): number => (grid === 1 ? 1 : 1 + grid * grid);

/**
 * Grid cells: each spans 1/(n − (n−1)/3) of the side (0.6 for 2×2, 3/7 for 3×3), spread evenly
 * edge to edge and rounded half up — the formula of ml/preprocess.ts `gridBoxes`.
 */
export function gridCells(width: number, height: number, n: number): Box[] {
  if (n <= 1) return [];
  const f = 1 / (n - (n - 1) / 3);
  const cw = Math.max(1, Math.floor(width * f + 0.5));
  const ch = Math.max(1, Math.floor(height * f + 0.5));
  const out: Box[] = [];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const x0 = Math.floor((i * (width - cw)) / (n - 1) + 0.5);
      const y0 = Math.floor((j * (height - ch)) / (n - 1) + 0.5);
      out.push([x0, y0, x0 + cw, y0 + ch]);
    }
  }
  return out;
}

/**
 * The part of a w×h region that survives "shortest edge → S, long edge int(S·long/short), centre
 * crop S×S", mapped back to the region's own pixels (offsets from its top-left corner).
 */
export function centreCropWithin(w: number, h: number, S = 224): Box {
  const short = Math.min(w, h);
  const long = Math.max(w, h);
  const newLong = Math.trunc((S * long) / short);
  const [rw, rh] = w <= h ? [S, newLong] : [newLong, S];
  const top = Math.floor((rh - S) / 2);
  const left = Math.floor((rw - S) / 2);
  return [(left * w) / rw, (top * h) / rh, Math.min(w, ((left + S) * w) / rw), Math.min(h, ((top + S) * h) / rh)];
}

/** Every region the model sees for an image of width × height, in the image's pixels. */
export function modelView(width: number, height: number, o: ViewOptions): ViewRegion[] {
  if (!(width > 0 && height > 0)) throw new Error(`an image needs a positive size, got ${width}×${height}`);
  const S = o.size ?? 224;
  const boxes: Box[] = [[0, 0, width, height], ...gridCells(width, height, o.grid)];
  return boxes.map((box, index) => {
    const w = box[2] - box[0];
    const h = box[3] - box[1];
    if (o.pad) return { index, box, seen: box, lost: 0 };
    const c = centreCropWithin(w, h, S);
    const seen: Box = [box[0] + c[0], box[1] + c[1], box[0] + c[2], box[1] + c[3]];
    const lost = 1 - ((c[2] - c[0]) * (c[3] - c[1])) / (w * h);
    return { index, box, seen, lost: Math.max(0, lost) };
  });
}
