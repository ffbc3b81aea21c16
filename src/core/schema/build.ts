/**
 * Writing a student export (and decoding a parsed one back to typed arrays). Writing goes
 * through the same schema and checks as reading (`serializeStudentExport` validates), so the
 * studio can never write a file it would refuse to read.
 */

import type { Box, ConceptStats, Ensemble, Mat, Metrics } from '../types.ts';
import type { HistoryTree } from '../history/types.ts';
import type { Diffable } from '../history/diff.ts';
import type { RegionEmbeddings } from '../concepts/activations.ts';
import { CURRENT_VERSION, STUDENT_FORMAT, regionCount, type ProvenanceNodeJson, type StudentExportV1, type TrainingJson, type TuningJson } from './exportV1.ts';
import { decodeF32, encodeF32, shortestFloat32, stringifyCompact } from './numbers.ts';
import { computeCheckBlock, type CheckDomain, type CheckOod } from './checkBlock.ts';
import { validateStudentDocument } from './parse.ts';

type V1 = StudentExportV1;

/** Everything needed to write a v1 export, as the app holds it (typed arrays). */
export interface StudentExportInput {
  generator?: string;
  model: V1['model'];
  prompts: V1['prompts'];
  regions: V1['regions'];
  classes: { name: string; prompt?: string }[];
  /** Class prompt embeddings C×D; required by the 'mcm' OOD score. */
  classText?: Mat | null;
  concepts: { name: string; category?: string }[];
  /**
   * Concept text embeddings M×D, or null for an activation-only student (distilled from
   * precomputed raw activations); null exactly when `model.embeddingDim` is null.
   */
  conceptText: Mat | null;
  stats: ConceptStats;
  ensemble: Ensemble;
  ood?: (CheckOod & { threshold: number; calibrationN: number }) | null;
  domain?: { mode: CheckDomain['mode']; temperature: number; domains: { prompt: string; textEmbedding: Float32Array; mu: Float32Array; sigma: Float32Array }[] } | null;
  teacher: V1['teacher'];
  metrics: { splits: { distill: number; heldOut: number }; heldOut: Metrics | null };
  provenance: V1['provenance'];
  /** How the student was fitted (λ, k, seed, held-out share), so `tune` can rebuild the split. */
  training?: V1['training'];
  /** Tuning bounds in force (C×M box; ±Infinity = free); only constrained weights are written. */
  box?: Box | null;
  /** Reference images for the check block (N×R×D, region 0 = full image); a handful is enough. */
  checkImages?: { images: RegionEmbeddings; ids?: string[] } | null;
  /**
   * Activation-only students (no text embeddings): reference rows for the check block as raw
   * activations a_j, K×M. The check then starts from them (â, logits, prediction; no OOD score).
   */
  checkActivations?: { raw: Mat; ids?: string[] } | null;
}

/** Encode with a path in the error, so a NaN is reported where it is ("student.W[17]"). */
function enc(path: string, a: ArrayLike<number>): number[] {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new Error(`cannot export ${path}[${i}] = ${a[i]}: JSON numbers must be finite`);
  }
  return encodeF32(a);
}

function row(m: Mat, r: number): Float32Array {
  return m.data.subarray(r * m.cols, (r + 1) * m.cols);
}

/** The provenance tree as exported: nodes in creation order, without their diffs. */
export function provenanceToJson<S extends Diffable>(tree: HistoryTree<S>): V1['provenance'] {
  const nodes = Object.values(tree.nodes)
    .sort((a, b) => a.seq - b.seq)
    .map((n) => {
      const out: ProvenanceNodeJson = { id: n.id, parentId: n.parentId, time: n.time, action: n.action, params: n.params, label: n.label };
      if (n.metricsAfter) out.metricsAfter = n.metricsAfter;
      if (n.flipped) out.flipped = n.flipped;
      if (n.weightsRef) out.weightsRef = n.weightsRef;
      return out;
    });
  return { head: tree.head, nodes };
}

/** Build the v1 document (plain JSON data). Throws on non-finite numbers. */
export function buildStudentExport(x: StudentExportInput): StudentExportV1 {
  const e = x.ensemble;
  const D = x.model.embeddingDim;
  if ((D === null) !== (x.conceptText === null)) {
    throw new Error(
      D === null
        ? 'model.embeddingDim is null (activation-only) but concept text embeddings were given: pass conceptText null, or set embeddingDim'
        : `model.embeddingDim is ${D} but there are no concept text embeddings (an activation-only export sets model.embeddingDim to null)`,
    );
  }
  if (x.conceptText && (x.conceptText.rows !== x.concepts.length || x.conceptText.cols !== D)) {
    throw new Error(`concept text embeddings are ${x.conceptText.rows}×${x.conceptText.cols}, the export needs ${x.concepts.length}×${D} (concepts × model.embeddingDim)`);
  }
  const doc: StudentExportV1 = {
    format: STUDENT_FORMAT,
    version: CURRENT_VERSION,
    ...(x.generator ? { generator: x.generator } : {}),
    model: x.model,
    prompts: x.prompts,
    regions: x.regions,
    concepts: x.concepts.map((c, j) => ({
      name: c.name,
      ...(c.category !== undefined ? { category: c.category } : {}),
      mu: enc(`concepts[${j}].mu`, [x.stats.mu[j]])[0],
      sigma: enc(`concepts[${j}].sigma`, [x.stats.sigma[j]])[0],
      ...(x.conceptText ? { textEmbedding: enc(`concepts[${j}].textEmbedding`, row(x.conceptText, j)) } : {}),
    })),
    classes: x.classes.map((c, i) => ({
      name: c.name,
      ...(c.prompt !== undefined ? { prompt: c.prompt } : {}),
      ...(x.classText ? { textEmbedding: enc(`classes[${i}].textEmbedding`, row(x.classText, i)) } : {}),
    })),
    student: {
      W: enc('student.W', e.served.W),
      b: enc('student.b', e.served.b),
      members: {
        W: e.members.map((m, k) => enc(`student.members.W[${k}]`, m.W)),
        b: e.members.map((m, k) => enc(`student.members.b[${k}]`, m.b)),
      },
      lo: enc('student.lo', e.lo),
      hi: enc('student.hi', e.hi),
    },
    ood: x.ood ? { score: x.ood.score, tau: x.ood.tau, threshold: x.ood.threshold, calibrationN: x.ood.calibrationN } : null,
    domain: x.domain
      ? {
          mode: x.domain.mode,
          temperature: x.domain.temperature,
          domains: x.domain.domains.map((d, i) => ({
            prompt: d.prompt,
            textEmbedding: enc(`domain.domains[${i}].textEmbedding`, d.textEmbedding),
            mu: enc(`domain.domains[${i}].mu`, d.mu),
            sigma: enc(`domain.domains[${i}].sigma`, d.sigma),
          })),
        }
      : null,
    ...(x.training ? { training: { ...x.training } } : {}),
    ...(x.box ? { tuning: boxToJson(x.box, e.served.M) } : {}),
    teacher: x.teacher,
    metrics: x.metrics,
    provenance: x.provenance,
    check: { images: [] },
  };
  if (x.checkImages && x.checkActivations) throw new Error('give check images or check activations, not both');
  if (x.checkImages) {
    if (D === null) throw new Error('an activation-only export (model.embeddingDim null) has no image embeddings: give checkActivations instead of checkImages');
    const R = regionCount(x.regions.grid);
    if (x.checkImages.images.R !== R || x.checkImages.images.D !== D) {
      throw new Error(`check images are ${x.checkImages.images.R}×${x.checkImages.images.D} (regions×dims), the export needs ${R}×${D}`);
    }
    // Compute from the ENCODED numbers, exactly as a reader of the file will.
    const d = decodeStudentExport(doc);
    doc.check.images = computeCheckBlock({
      student: d.ensemble.served,
      conceptText: d.conceptText,
      stats: d.stats,
      images: x.checkImages.images,
      ids: x.checkImages.ids,
      ood: doc.ood ?? null,
      classText: d.classText,
      domain: d.domain,
    });
  }
  if (x.checkActivations) {
    const M = x.concepts.length;
    const raw = x.checkActivations.raw;
    if (D !== null) throw new Error(`model.embeddingDim is ${D}: the check block starts from image embeddings, give checkImages instead of checkActivations`);
    if (raw.cols !== M) throw new Error(`check activations are ${raw.rows}×${raw.cols}, the export needs K×${M} (concepts)`);
    const d = decodeStudentExport(doc);
    doc.check.images = computeCheckBlock({
      student: d.ensemble.served,
      stats: d.stats,
      // Round through the file's encoding, as a reader will see them.
      activations: { rows: raw.rows, cols: M, data: decodeF32(enc('check activations', raw.data)) },
      ids: x.checkActivations.ids,
      domain: d.domain,
    });
  }
  return doc;
}

/** Validate (as a reader would) and write as JSON text; throws with the first problem. */
export function serializeStudentExport(doc: StudentExportV1): string {
  const check = validateStudentDocument(doc);
  if (!check.ok) throw new Error(`refusing to write an invalid export: ${check.error}`);
  return stringifyCompact(doc) + '\n';
}

/** A parsed export as typed arrays, ready for a predictor. */
export interface DecodedStudent {
  C: number;
  M: number;
  /** Embedding size, or null for an activation-only student. */
  D: number | null;
  R: number;
  ensemble: Ensemble;
  /** Concept text embeddings M×D, or null for an activation-only student. */
  conceptText: Mat | null;
  stats: ConceptStats;
  classText: Mat | null;
  domain: CheckDomain | null;
  /** How the student was fitted, when the file says. */
  training: TrainingJson | null;
  /** Tuning bounds in force (C×M), or null when nothing was tuned. */
  box: Box | null;
}

/** The constrained entries of a box, as the export stores them. */
export function boxToJson(box: Box, M: number): TuningJson {
  const bounds: TuningJson['bounds'] = [];
  for (let q = 0; q < box.lo.length; q++) {
    const lo = box.lo[q];
    const hi = box.hi[q];
    if (lo === -Infinity && hi === Infinity) continue;
    bounds.push({ class: Math.floor(q / M), concept: q % M, lo: lo === -Infinity ? null : shortestFloat32(lo), hi: hi === Infinity ? null : shortestFloat32(hi) });
  }
  return { bounds };
}

/** A C×M box from the export's bounds (free where not listed). */
export function boxFromJson(t: TuningJson, C: number, M: number): Box {
  const lo = new Float32Array(C * M).fill(-Infinity);
  const hi = new Float32Array(C * M).fill(Infinity);
  for (const b of t.bounds) {
    lo[b.class * M + b.concept] = b.lo ?? -Infinity;
    hi[b.class * M + b.concept] = b.hi ?? Infinity;
  }
  return { lo, hi };
}

export function decodeStudentExport(doc: StudentExportV1): DecodedStudent {
  const C = doc.classes.length;
  const M = doc.concepts.length;
  const D = doc.model.embeddingDim;
  const s = doc.student;
  const lm = (W: number[], b: number[]) => ({ W: decodeF32(W), b: decodeF32(b), C, M });
  const allClassText = doc.classes.every((c) => c.textEmbedding);
  return {
    C,
    M,
    D,
    R: regionCount(doc.regions.grid),
    ensemble: { served: lm(s.W, s.b), members: s.members.W.map((W, k) => lm(W, s.members.b[k])), lo: decodeF32(s.lo), hi: decodeF32(s.hi) },
    conceptText: D === null ? null : { rows: M, cols: D, data: decodeF32(doc.concepts.flatMap((c) => c.textEmbedding ?? [])) },
    stats: { mu: decodeF32(doc.concepts.map((c) => c.mu)), sigma: decodeF32(doc.concepts.map((c) => c.sigma)) },
    classText: allClassText && D !== null ? { rows: C, cols: D, data: decodeF32(doc.classes.flatMap((c) => c.textEmbedding!)) } : null,
    domain: doc.domain
      ? {
          mode: doc.domain.mode,
          temperature: doc.domain.temperature,
          domains: doc.domain.domains.map((d) => ({ textEmbedding: decodeF32(d.textEmbedding), mu: decodeF32(d.mu), sigma: decodeF32(d.sigma) })),
        }
      : null,
    training: doc.training ?? null,
    box: doc.tuning ? boxFromJson(doc.tuning, C, M) : null,
  };
}
