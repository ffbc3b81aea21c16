/**
 * Changing the student inside an existing export (the command line's `tune`): new weights, new
 * held-out metrics and bounds, one more provenance node, and a check block recomputed from the
 * file's own reference inputs — so the result passes the same validation as any export.
 */
import type { Box, Ensemble, Metrics } from '../types.ts';
import type { Flip, JsonValue } from '../history/types.ts';
import { boxToJson } from './build.ts';
import { encodeF32 } from './numbers.ts';
import { recomputeCheckBlock } from './checkBlock.ts';
import type { StudentExportV1 } from './exportV1.ts';

export interface StudentChange {
  ensemble: Ensemble;
  /** Held-out metrics of the new student (null if not measured). */
  heldOut: Metrics | null;
  /** Tuning bounds now in force (null: none). */
  box: Box | null;
  /** The provenance entry for the change; it becomes the new head. */
  node: { action: string; params: JsonValue; label: string; time: number; metricsAfter?: Metrics; flipped?: Flip[] };
}

export function replaceStudent(doc: StudentExportV1, change: StudentChange): StudentExportV1 {
  const e = change.ensemble;
  const M = doc.concepts.length;
  if (e.served.C !== doc.classes.length || e.served.M !== M) {
    throw new Error(`the new student is ${e.served.C}×${e.served.M}, the file has ${doc.classes.length} classes × ${M} concepts`);
  }
  const ids = new Set(doc.provenance.nodes.map((n) => n.id));
  let n = doc.provenance.nodes.length;
  while (ids.has(`n${n}`)) n++;
  const id = `n${n}`;
  const next: StudentExportV1 = {
    ...doc,
    student: {
      W: encodeF32(e.served.W),
      b: encodeF32(e.served.b),
      members: { W: e.members.map((m) => encodeF32(m.W)), b: e.members.map((m) => encodeF32(m.b)) },
      lo: encodeF32(e.lo),
      hi: encodeF32(e.hi),
    },
    tuning: change.box ? boxToJson(change.box, M) : null,
    metrics: { ...doc.metrics, heldOut: change.heldOut },
    provenance: {
      head: id,
      nodes: [...doc.provenance.nodes, { id, parentId: doc.provenance.head, ...change.node, params: change.node.params as never }],
    },
  };
  next.check = { images: recomputeCheckBlock(next).map((im, i) => (doc.check.images[i]?.id !== undefined ? { ...im, id: doc.check.images[i].id } : im)) };
  return next;
}
