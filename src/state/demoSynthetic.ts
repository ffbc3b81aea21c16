/**
 * A seeded, in-memory synthetic project in the demo's domain (machine parts on an inspection
 * line, classified by condition). It stands in for a real distillation so every view renders
 * real-looking data before (and without) the ML stack; same seed ⇒ same pixels in screenshots.
 *
 * The student is not fitted here: it is a class-mean-difference linear model with a made-up
 * bootstrap band, which is good enough to look at and to tune (tuning refits it properly).
 */
import { conceptStats, standardise } from '../core/concepts/stats.ts';
import { mulberry32, randNormal } from '../core/math/rng.ts';
import { distillSplit } from '../core/pipeline/distill.ts';
import { DEFAULT_TRAINING } from './project.ts';
import type { Ensemble, LinearModel } from '../core/types.ts';
import type { Dataset } from './types.ts';

export const SYN_CLASSES = ['ok', 'scratched', 'rusty', 'cracked', 'dented'];
export const SYN_PARTS = ['hex nut', 'washer', 'bolt', 'gear', 'spring', 'bracket'];
export const SYN_MATERIALS = ['steel', 'brass', 'black oxide', 'blue paint'];
export const SYN_BACKGROUNDS = ['tray', 'conveyor belt', 'wooden bench'];
export const SYN_LIGHTING = ['bright light', 'dim light', 'glare', 'haze'];

type Attr = 'cls' | 'part' | 'material' | 'background' | 'lighting' | 'mark' | 'none';
/** Concept name and the attribute value it responds to. */
const CONCEPTS: [string, Attr, number][] = [
  ['orange-brown patches', 'cls', 2], ['rust', 'cls', 2], ['flaking surface', 'cls', 2],
  ['thin parallel lines', 'cls', 1], ['scratches', 'cls', 1], ['scuffed finish', 'cls', 1],
  ['jagged dark line', 'cls', 3], ['crack', 'cls', 3], ['broken edge', 'cls', 3],
  ['dent', 'cls', 4], ['bright highlight spot', 'cls', 4], ['bent outline', 'cls', 4],
  ['clean smooth surface', 'cls', 0], ['uniform colour', 'cls', 0], ['new part', 'cls', 0],
  ['hexagon', 'part', 0], ['ring shape', 'part', 1], ['threaded shaft', 'part', 2], ['teeth', 'part', 3],
  ['coil', 'part', 4], ['right angle', 'part', 5],
  ['steel', 'material', 0], ['brass', 'material', 1], ['black oxide', 'material', 2], ['blue paint', 'material', 3],
  ['tray', 'background', 0], ['conveyor belt', 'background', 1], ['wood grain', 'background', 2],
  ['bright light', 'lighting', 0], ['dim light', 'lighting', 1], ['glare', 'lighting', 2], ['haze', 'lighting', 3],
  ['blue label', 'mark', 1], ['red sticker', 'mark', 2],
  ['shiny metal', 'material', 0], ['dark shadow', 'lighting', 1], ['circle', 'part', 1],
  ['screw', 'part', 2], ['machine part', 'none', 0], ['metal texture', 'none', 0],
];

export interface SynthAttrs {
  cls: number;
  part: number;
  material: number;
  background: number;
  lighting: number;
  mark: number; // 0 none, 1 blue label, 2 red sticker
}

/** Attributes of synthetic image i; pure in (seed, i) so thumbnails can be drawn without state. */
export function synthImageAttrs(seed: number, i: number): SynthAttrs {
  const r = mulberry32((seed * 7919) ^ (i * 2654435761));
  r();
  // Mild class imbalance: "ok" is the most common condition, as on a real line.
  const u = r();
  const cls = u < 0.3 ? 0 : 1 + Math.floor(((u - 0.3) / 0.7) * 4);
  return {
    cls: Math.min(cls, 4),
    part: Math.floor(r() * 6),
    material: Math.floor(r() * 4),
    background: Math.floor(r() * 3),
    lighting: Math.floor(r() * 4),
    mark: r() < 0.7 ? 0 : r() < 0.5 ? 1 : 2,
  };
}

function conceptName(j: number): [string, Attr, number] {
  if (j < CONCEPTS.length) return CONCEPTS[j];
  const [n, a, v] = CONCEPTS[j % CONCEPTS.length];
  return [`${n} (${Math.floor(j / CONCEPTS.length) + 1})`, a, v];
}

export interface SyntheticProject {
  dataset: Dataset;
  ensemble: Ensemble;
}

export function makeSyntheticProject(opts: { seed?: number; N?: number; M?: number } = {}): SyntheticProject {
  const seed = opts.seed ?? 7;
  const N = opts.N ?? 2000;
  const M = opts.M ?? CONCEPTS.length;
  const C = SYN_CLASSES.length;
  const rng = mulberry32(seed);
  const concepts: string[] = [];
  const kinds: [Attr, number][] = [];
  for (let j = 0; j < M; j++) {
    const [n, a, v] = conceptName(j);
    concepts.push(n);
    kinds.push([a, v]);
  }
  const labels = new Int32Array(N);
  const raw = new Float32Array(N * M);
  const teacher = new Float32Array(N * C);
  const teacherPred = new Int32Array(N);
  const R = 5;
  const bestRegion = new Uint8Array(N * M);
  const imageNames: string[] = [];
  for (let i = 0; i < N; i++) {
    const at = synthImageAttrs(seed, i);
    labels[i] = at.cls;
    imageNames.push(`${SYN_PARTS[at.part].replace(' ', '-')}_${String(i).padStart(5, '0')}.png`);
    // A latent "visibility" of the defect: some defects are faint and fool both models.
    const vis = 0.35 + 0.65 * rng();
    for (let j = 0; j < M; j++) {
      const [a, v] = kinds[j];
      const on = a !== 'none' && a !== 'cls' && (at as unknown as Record<string, number>)[a] === v;
      let s = 0.2 + 0.018 * randNormal(rng);
      if (a === 'cls' && at.cls === v) s += 0.07 * vis;
      else if (on) s += 0.07;
      // Related defects leak into each other (scratch ↔ crack, dent ↔ glare), as CLIP's do.
      if (a === 'cls' && ((v === 1 && at.cls === 3) || (v === 3 && at.cls === 1))) s += 0.025 * vis;
      if (a === 'cls' && v === 4 && at.lighting === 2) s += 0.03;
      raw[i * M + j] = Math.max(0, s);
      bestRegion[i * M + j] = Math.floor(rng() * R);
    }
    // The teacher sees the defect with the same visibility, plus its own noise.
    let max = -Infinity;
    const z = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      z[c] = (c === at.cls ? 3.2 * vis : 0) + 0.9 * randNormal(rng) + (c === 4 && at.lighting === 2 ? 0.8 : 0);
      max = Math.max(max, z[c]);
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += (z[c] = Math.exp(z[c] - max));
    let best = 0;
    for (let c = 0; c < C; c++) {
      teacher[i * C + c] = z[c] / sum;
      if (z[c] > z[best]) best = c;
    }
    teacherPred[i] = best;
  }
  // The split the core pipeline (worker and CLI) would pick for this teacher: a later distil or
  // `concept-studio tune` on an exported student finds the very same held-out images.
  const { train, heldOut: test } = distillSplit({ rows: N, cols: C, data: teacher }, DEFAULT_TRAINING.heldOutFraction, DEFAULT_TRAINING.seed);
  const isTest = new Uint8Array(N);
  for (const i of test) isTest[i] = 1;
  const rawMat = { rows: N, cols: M, data: raw };
  const stats = conceptStats(rawMat, train);
  const ahat = standardise(rawMat, stats).data;
  const ensemble = classMeanStudent(ahat, teacherPred, train, N, M, C, rng);
  const dataset: Dataset = {
    source: { kind: 'synthetic', seed, N, M },
    name: `Synthetic inspection line (${N.toLocaleString('en')} images)`,
    N, M, C,
    classes: SYN_CLASSES.slice(),
    concepts,
    imageNames,
    thumbs: null,
    labels,
    teacher: { rows: N, cols: C, data: teacher },
    teacherPred,
    raw: rawMat,
    stats,
    ahat,
    bestRegion,
    regionGrid: 2,
    split: { train, heldOut: test },
    isTest,
    teacherDescription: 'Synthetic teacher (seeded; stands in for an ONNX classifier)',
    modelDescription: 'No CLIP model: synthetic activations',
  };
  return { dataset, ensemble };
}

/** W_c = scaled (mean â of images the teacher calls c − mean â overall), sparsified; b = log prior. */
function classMeanStudent(
  ahat: Float32Array, pred: Int32Array, train: Int32Array, N: number, M: number, C: number, rng: () => number,
): Ensemble {
  void N;
  const sums = new Float64Array(C * M);
  const all = new Float64Array(M);
  const counts = new Float64Array(C);
  for (const i of train) {
    const c = pred[i];
    counts[c]++;
    for (let j = 0; j < M; j++) {
      sums[c * M + j] += ahat[i * M + j];
      all[j] += ahat[i * M + j];
    }
  }
  const W = new Float32Array(C * M);
  const b = new Float32Array(C);
  const lo = new Float32Array(C * M);
  const hi = new Float32Array(C * M);
  for (let c = 0; c < C; c++) {
    b[c] = Math.log(Math.max(1, counts[c]) / train.length) - 0.5;
    for (let j = 0; j < M; j++) {
      const d = sums[c * M + j] / Math.max(1, counts[c]) - all[j] / train.length;
      const w = Math.abs(d) < 0.12 ? 0 : 1.1 * d;
      W[c * M + j] = w;
      const spread = 0.04 + 0.25 * Math.abs(w) * rng();
      lo[c * M + j] = w - spread * (0.5 + rng());
      hi[c * M + j] = w + spread * (0.5 + rng());
    }
  }
  const served: LinearModel = { W, b, C, M };
  return { served, members: [served], lo, hi };
}
