/**
 * The shift simulator (METHODS §8) for the studio: held-out images are corrupted (darken, haze,
 * contrast, noise, JPEG at severities 1–5, seeded) and re-embedded with the project's image model
 * in the embed worker (the app installs the embedder: app/main.tsx), then core/calibration scores
 * each (corruption, severity) batch with concept calibration off, with source statistics and with
 * test-time statistics of the batch itself, plus the share the OOD flag calls unfamiliar.
 */
import { permutation, mulberry32 } from '../core/math/rng.ts';
import { evaluateShiftBatch, joinDomains, type ShiftContext, type ShiftResult } from '../core/calibration/index.ts';
import type { StudioState } from './store.ts';
import { domainsInMode } from './domain.ts';

export type CorruptionKind = 'darken' | 'haze' | 'contrast' | 'noise' | 'jpeg';
export const SHIFT_KINDS: { kind: CorruptionKind; label: string }[] = [
  { kind: 'darken', label: 'darker' },
  { kind: 'haze', label: 'haze (fog)' },
  { kind: 'contrast', label: 'low contrast' },
  { kind: 'noise', label: 'sensor noise' },
  { kind: 'jpeg', label: 'JPEG compression' },
];

export interface ShiftSpecIn {
  kind: CorruptionKind;
  severity: number;
  seed?: number;
}

/** What the embedder returns: ids × K specs × R × D (image-major, then spec). */
export interface ShiftEmbedded {
  ids: string[];
  K: number;
  R: number;
  D: number;
  embeddings: Float32Array;
  errors: { id: string; message: string }[];
}

/** The app installs the embed worker here (fetch the files, embedShifted); tests install a stand-in. */
export type ShiftEmbedder = (
  images: { id: string; url: string }[],
  specs: ShiftSpecIn[],
  opts: { model: string; grid: 1 | 2 | 3; pad: boolean; signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
) => Promise<ShiftEmbedded>;
let embedder: ShiftEmbedder | null = null;
export function setShiftEmbedder(e: ShiftEmbedder | null): void {
  embedder = e;
}

/** Why the simulator cannot run on this project (a sentence for the user), or null. */
export function shiftBlocker(s: StudioState): string | null {
  const ds = s.dataset;
  const st = s.session?.state;
  if (!ds || !st?.ensemble || !st.stats) return 'There is no student yet.';
  if (!ds.imageModel || !ds.imageEmbeddings || !(st.conceptText ?? ds.conceptText)) return 'The simulator needs the image model and the image embeddings; this project has only precomputed concept activations.';
  if (!st.calibration.domain || st.calibration.domain.domains.length === 0) return 'Find the conditions first (type the condition prompts above and press "Find conditions").';
  if (ds.source.kind !== 'demo' || !ds.thumbs) return 'The simulator needs the original image files; this project keeps only thumbnails of them.';
  if (!embedder) return 'The image model is not available in this build, so corrupted images cannot be embedded.';
  return null;
}

export interface ShiftRun {
  /** Dataset rows of the held-out images used. */
  rows: Int32Array;
  kinds: CorruptionKind[];
  severities: number[];
  /** Severity 0: the clean images. */
  clean: ShiftResult;
  results: { kind: CorruptionKind; severity: number; r: ShiftResult }[];
  /** The OOD flag the 'flagged' numbers use (null: none set). */
  ood: { score: 'mcm' | 'mcm-student'; threshold: number } | null;
  prompts: string[];
  errors: { id: string; message: string }[];
  seconds: number;
}

export interface ShiftOptions {
  kinds: CorruptionKind[];
  severities: number[];
  /** Held-out images to corrupt (a seeded sample). */
  count: number;
  seed?: number;
}

/** Run the simulator on a seeded sample of held-out images. */
export async function runShiftSimulator(s: StudioState, o: ShiftOptions, progress?: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void }): Promise<ShiftRun> {
  const why = shiftBlocker(s);
  if (why) throw new Error(why);
  if (o.kinds.length === 0 || o.severities.length === 0) throw new Error('choose at least one corruption and one severity');
  const ds = s.dataset!;
  const st = s.session!.state;
  const e = ds.imageEmbeddings!;
  const held = ds.split.heldOut;
  const n = Math.max(1, Math.min(Math.floor(o.count), held.length));
  const perm = permutation(mulberry32(o.seed ?? 0), held.length);
  const rows = Int32Array.from({ length: n }, (_, k) => held[perm[k]]).sort();
  const specs = o.kinds.flatMap((kind) => o.severities.map((severity) => ({ kind, severity, seed: o.seed ?? 0 })));
  const t0 = performance.now();
  const res = await embedder!(
    Array.from(rows, (i) => ({ id: String(i), url: ds.thumbs![i] })),
    specs,
    { model: ds.imageModel!.id, grid: (ds.regionGrid >= 3 ? 3 : ds.regionGrid === 2 ? 2 : 1), pad: ds.imageModel!.preprocessing.padToSquare, signal: progress?.signal, onProgress: progress?.onProgress },
  );
  if (res.K !== specs.length) throw new Error(`the embedder returned ${res.K} corruptions per image, expected ${specs.length}`);
  if (res.ids.length && (res.D !== e.D || res.R !== e.R)) throw new Error(`the corrupted images embed as ${res.R}×${res.D}, the project's as ${e.R}×${e.D}`);
  const ok = Int32Array.from(res.ids, Number);
  if (ok.length === 0) throw new Error(`no image could be corrupted and embedded${res.errors[0] ? `: ${res.errors[0].message}` : ''}`);
  const domain = st.calibration.domain!;
  // Source statistics even when the project is in test-time mode (the simulator compares all three).
  const source = domainsInMode(ds, domain, 'source');
  const ood = st.calibration.ood;
  const ctx: ShiftContext = {
    student: st.ensemble!.served, stats: st.stats!, conceptText: st.conceptText ?? ds.conceptText!,
    domainText: { rows: domain.domains.length, cols: e.D, data: Float32Array.from(domain.domains.flatMap((d) => Array.from(d.textEmbedding))) },
    temperature: domain.temperature, source: joinDomains(source.domains),
    ood: ood ? { score: ood.score, tau: ood.tau, threshold: ood.threshold, classText: ds.classText ?? null } : null,
  };
  const labels = ds.labels ? Array.from(ok, (i) => ds.labels![i]) : null;
  const reference = Array.from(ok, (i) => ds.teacherPred[i]);
  const per = e.R * e.D;
  const cleanData = new Float32Array(ok.length * per);
  ok.forEach((i, k) => cleanData.set(e.data.subarray(i * per, (i + 1) * per), k * per));
  const clean = evaluateShiftBatch(ctx, { images: { N: ok.length, R: e.R, D: e.D, data: cleanData }, labels, reference });
  const results = specs.map((spec, k) => {
    const data = new Float32Array(ok.length * per);
    for (let m = 0; m < ok.length; m++) data.set(res.embeddings.subarray((m * res.K + k) * per, (m * res.K + k + 1) * per), m * per);
    return { kind: spec.kind, severity: spec.severity, r: evaluateShiftBatch(ctx, { images: { N: ok.length, R: e.R, D: e.D, data }, labels, reference }) };
  });
  return {
    rows: ok, kinds: o.kinds, severities: o.severities, clean, results,
    ood: ood ? { score: ood.score, threshold: ood.threshold } : null,
    prompts: domain.domains.map((d) => d.prompt), errors: res.errors, seconds: (performance.now() - t0) / 1000,
  };
}
