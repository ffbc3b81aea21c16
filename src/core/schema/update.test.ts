import { describe, it, expect } from 'vitest';
import { buildStudentExport, serializeStudentExport, decodeStudentExport } from './build.ts';
import { parseStudentExport } from './parse.ts';
import { replaceStudent } from './update.ts';
import { summariseMembers } from '../student/fit.ts';
import type { Box, LinearModel } from '../types.ts';

const C = 2;
const M = 3;
function model(seed: number): LinearModel {
  return { C, M, W: Float32Array.from({ length: C * M }, (_, q) => ((q * 7 + seed) % 5) - 2), b: Float32Array.from([0.1 * seed, -0.2]) };
}

function baseDoc() {
  const ensemble = summariseMembers([model(1), model(2)]);
  return buildStudentExport({
    model: { id: 'precomputed-activations', embeddingDim: null },
    prompts: { templates: ['a photo of {concept}'] },
    regions: { grid: 1, overlap: 0 },
    classes: [{ name: 'ok' }, { name: 'rusty' }],
    concepts: [{ name: 'rust' }, { name: 'dim light' }, { name: 'gear' }],
    conceptText: null,
    stats: { mu: Float32Array.from([0.2, 0.25, 0.3]), sigma: Float32Array.from([0.05, 0.04, 0.1]) },
    ensemble,
    teacher: { kind: 'file', name: 'P.npy' },
    metrics: { splits: { distill: 8, heldOut: 2 }, heldOut: null },
    provenance: { head: 'n0', nodes: [{ id: 'n0', parentId: null, time: 0, action: 'distill', params: {}, label: 'Distilled' }] },
    training: { lambda: 1e-4, members: 2, seed: 0, heldOutFraction: 0.2 },
    checkActivations: { raw: { rows: 2, cols: M, data: Float32Array.from([0.3, 0.2, 0.1, 0.1, 0.3, 0.35]) } },
  });
}

describe('tuning bounds and replaceStudent', () => {
  it('writes the bounds in force, reads them back as a box, and recomputes the check block for new weights', () => {
    const doc = baseDoc();
    const banned = summariseMembers([model(1), model(2)].map((m) => ({ ...m, W: m.W.map((w, q) => (q === 1 ? 0 : w)) })));
    const box: Box = { lo: new Float32Array(C * M).fill(-Infinity), hi: new Float32Array(C * M).fill(Infinity) };
    box.lo[1] = 0;
    box.hi[1] = 0;
    box.lo[M + 2] = -1;
    const next = replaceStudent(doc, { ensemble: banned, heldOut: null, box, node: { action: 'tune', params: { op: 'ban' }, label: 'Banned', time: 5 } });
    const parsed = parseStudentExport(serializeStudentExport(next));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.tuning?.bounds).toEqual([
      { class: 0, concept: 1, lo: 0, hi: 0 },
      { class: 1, concept: 2, lo: -1, hi: null },
    ]);
    const d = decodeStudentExport(parsed.value);
    expect(Array.from(d.box!.lo)).toEqual([-Infinity, 0, -Infinity, -Infinity, -Infinity, -1]);
    expect(Array.from(d.box!.hi)).toEqual([Infinity, 0, Infinity, Infinity, Infinity, Infinity]);
    expect(parsed.value.provenance.head).toBe('n1');
    expect(parsed.value.provenance.nodes[1]).toMatchObject({ id: 'n1', parentId: 'n0', label: 'Banned' });
    expect(parsed.value.check.images[0].logits).not.toEqual(doc.check.images[0].logits);
  });

  it('refuses a file whose weights break its own bounds, naming the weight', () => {
    const doc = baseDoc();
    doc.tuning = { bounds: [{ class: 0, concept: 0, lo: 0, hi: 0 }] };
    const r = parseStudentExport(JSON.stringify(doc));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/tuning.bounds\[0\]: student.W\[0\] = .* lies outside its tuning bounds \[0, 0\]/);
    doc.tuning = { bounds: [{ class: 4, concept: 0, lo: null, hi: null }] };
    const r2 = parseStudentExport(JSON.stringify(doc));
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.error).toMatch(/tuning.bounds\[0\].class: class 4 does not exist \(there are 2\)/);
  });
});
