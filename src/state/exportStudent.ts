/**
 * Student export (METHODS.md §9). Stand-in writer until core/schema's v1 writer lands: the
 * same information, numbers as plain JSON numbers, validated on import by core/schema later.
 */
import type { StudioState } from './store.ts';

const arr = (a: ArrayLike<number>) => Array.from(a, (v) => Math.round(v * 1e6) / 1e6);

export function exportStudentJson(s: StudioState): string {
  const ds = s.dataset;
  const live = s.live;
  const ens = s.ensemble;
  if (!ds || !live || !ens) throw new Error('no student to export');
  const { C, M } = ds;
  const rows = (a: Float32Array) => Array.from({ length: C }, (_, c) => arr(a.subarray(c * M, (c + 1) * M)));
  const nodes = s.tree.order.map((id) => {
    const n = s.tree.nodes[id];
    return {
      id: n.id, parentId: n.parentId, time: new Date(n.time).toISOString(), action: n.action, params: n.params, label: n.label,
      metricsAfter: { fidelity: n.metricsAfter.fidelity, accuracy: n.metricsAfter.accuracy, n: n.metricsAfter.n },
      flipped: n.flipped.length,
    };
  });
  const m = s.metrics!;
  const doc = {
    schema: 'concept-tuning-studio/student',
    version: 1,
    exportedAt: new Date().toISOString(),
    model: { description: ds.modelDescription },
    regions: { grid: ds.regionGrid },
    classes: ds.classes.map((name) => ({ name })),
    concepts: ds.concepts.map((text, j) => ({ text, mu: ds.stats.mu[j], sigma: ds.stats.sigma[j] })),
    student: { W: rows(live.W), b: arr(live.b), band: { lo: rows(ens.lo), hi: rows(ens.hi), note: '10th–90th percentile of bootstrap members; information only' } },
    teacher: { description: ds.teacherDescription },
    metrics: {
      split: { train: ds.split.train.length, heldOut: ds.split.heldOut.length },
      fidelity: m.fidelity, accuracy: m.accuracy, n: m.n,
      perClass: m.perClass.map((p, c) => ({ class: ds.classes[c], ...p })),
    },
    provenance: { head: s.tree.head, nodes },
  };
  return JSON.stringify(doc, null, 1);
}
