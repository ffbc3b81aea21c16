/**
 * The bridge from a project session to the student export (METHODS §9): what the project
 * tracks comes from the state and its history; what it does not (model, prompts, regions,
 * split sizes, reference images, how the student was fitted) comes from `setup`.
 *
 * Activation-only projects (distilled from precomputed raw activations, no text embeddings):
 * state.conceptText is null and setup.model.embeddingDim is null; the check block then comes
 * from `setup.checkActivations` (raw activations) instead of `setup.checkImages`.
 */

import type { Mat } from '../types.ts';
import type { RegionEmbeddings } from '../concepts/activations.ts';
import { buildStudentExport, provenanceToJson, type StudentExportInput } from '../schema/build.ts';
import type { StudentExportV1 } from '../schema/exportV1.ts';
import type { Session } from './session.ts';

export interface ExportSetup {
  generator?: string;
  model: StudentExportInput['model'];
  prompts: StudentExportInput['prompts'];
  regions: StudentExportInput['regions'];
  splits: { distill: number; heldOut: number };
  /** Class prompt embeddings C×D (needed when the OOD score is 'mcm'). */
  classText?: Mat | null;
  /** A handful of reference images for the check block. */
  checkImages?: { images: RegionEmbeddings; ids?: string[] } | null;
  /** Activation-only projects: a handful of raw activation rows (K×M) for the check block. */
  checkActivations?: StudentExportInput['checkActivations'];
  /** How the student was fitted (λ, members, seed, held-out share); recorded for `tune`. */
  training?: StudentExportInput['training'];
  /** Tuning bounds in force (the studio's current box), written as the export's tuning block. */
  box?: StudentExportInput['box'];
}

/** Build the export of the session's current (head) state; throws if it has no student yet. */
export function exportSession(session: Session, setup: ExportSetup): StudentExportV1 {
  const s = session.state;
  // Concept text is needed unless the export is activation-only (embeddingDim null).
  const needsText = setup.model.embeddingDim !== null;
  const missing = !s.ensemble
    ? 'a student (distill first)'
    : !s.stats
      ? 'concept statistics'
      : needsText && !s.conceptText
        ? 'concept text embeddings'
        : !s.teacher
          ? 'a teacher'
          : null;
  if (missing || !s.ensemble || !s.stats || !s.teacher) throw new Error(`cannot export yet: the project needs ${missing}`);
  return buildStudentExport({
    generator: setup.generator,
    model: setup.model,
    prompts: setup.prompts,
    regions: setup.regions,
    classes: s.classes,
    classText: setup.classText ?? null,
    concepts: s.concepts,
    conceptText: s.conceptText,
    stats: s.stats,
    ensemble: s.ensemble,
    ood: s.calibration.ood,
    domain: s.calibration.domain,
    teacher: s.teacher,
    metrics: { splits: setup.splits, heldOut: s.metrics },
    provenance: provenanceToJson(session.history),
    training: setup.training ?? null,
    box: setup.box ?? null,
    checkImages: setup.checkImages ?? null,
    checkActivations: setup.checkActivations ?? null,
  });
}
