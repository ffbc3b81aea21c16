import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Ensemble, LinearModel, Metrics } from '../types.ts';
import { checkTree, stateAt } from '../history/query.ts';
import { ensembleRef } from '../history/hash.ts';
import { emptyProject, type ProjectAction, type ProjectState } from './types.ts';
import { reduceProject, ProjectActionError } from './reducer.ts';
import { exportSession } from './export.ts';
import { parseStudentExport } from '../schema/parse.ts';
import { serializeStudentExport } from '../schema/build.ts';
import { beginDrag, checkoutSession, createSession, dispatch, endDrag, redoSession, undoSession, type Session } from './session.ts';

const C = 2;
const M = 3;

function model(seed: number): LinearModel {
  const W = Float32Array.from({ length: C * M }, (_, i) => Math.fround(((i + 1) * seed) % 7) / 7 - 0.5);
  return { W, b: Float32Array.from([seed / 10, -seed / 10]), C, M };
}
function ensemble(seed: number): Ensemble {
  return { served: model(seed), members: [model(seed + 1), model(seed + 2)], lo: new Float32Array(C * M), hi: new Float32Array(C * M) };
}
const metrics = (fidelity: number): Metrics => ({ fidelity, accuracy: null, n: 50, perClass: [] });

const base: ProjectState = {
  ...emptyProject([{ name: 'rusty' }, { name: 'clean' }], [{ name: 'rust' }, { name: 'dim light' }, { name: 'water' }]),
  teacher: { kind: 'zero-shot', name: 'CLIP zero-shot' },
};

function distilled(): Session {
  return dispatch(createSession(base, 0), { type: 'distill', ensemble: ensemble(1), metricsAfter: metrics(0.8) }, 1);
}
const headNode = (s: Session) => s.history.nodes[s.history.head];

describe('project reducer', () => {
  it('distill records a snapshot node with a content ref', () => {
    const s = distilled();
    const n = headNode(s);
    expect(n.label).toBe("Distilled a student from 'CLIP zero-shot' (2 members)");
    expect(n.weightsRef).toBe(ensembleRef(ensemble(1)));
    expect(s.history.snapshots[n.weightsRef!]).toBeDefined();
    expect(s.state.metrics?.fidelity).toBe(0.8);
  });

  it('a slider drag is one node labelled with the value before the drag', () => {
    let s = distilled();
    const before = s.state.ensemble!.served.W[1];
    const nodes = Object.keys(s.history.nodes).length;
    s = beginDrag(s);
    for (const v of [0.2, 0.5, 0.9]) s = dispatch(s, { type: 'quickEdit', class: 0, concept: 1, value: v }, 2);
    s = endDrag(s);
    expect(Object.keys(s.history.nodes)).toHaveLength(nodes + 1);
    expect(headNode(s).label).toBe(`Set 'dim light' for 'rusty' to 0.9 (was ${Number(before.toFixed(3))})`);
    expect(s.state.ensemble!.served.W[1]).toBe(Math.fround(0.9));
    expect(headNode(s).diff).toEqual([
      { op: 'weights', W: [{ index: 1, from: before, to: Math.fround(0.9) }], b: [] },
      { op: 'set', key: 'metrics', from: s.history.nodes[headNode(s).parentId!].metricsAfter, to: null },
    ]);
    const u = undoSession(s);
    expect(u.state.ensemble!.served.W[1]).toBe(before);
    expect(redoSession(u).state).toEqual(s.state);
  });

  it('tune labels in plain language and keeps one bound per weight', () => {
    let s = distilled();
    s = dispatch(s, { type: 'tune', op: 'downtune', class: 0, concept: 1, factor: 2, ensemble: ensemble(2) }, 2);
    expect(headNode(s).label).toBe("Downtuned 'dim light' for 'rusty' ×2");
    s = dispatch(s, { type: 'tune', op: 'uptune', class: 0, concept: 1, factor: 3, ensemble: ensemble(3) }, 3);
    expect(s.state.constraints).toEqual([{ op: 'uptune', class: 0, concept: 1, factor: 3 }]);
    s = dispatch(s, { type: 'tune', op: 'ban', class: 'all', concept: 2, ensemble: ensemble(4) }, 4);
    expect(headNode(s).label).toBe("Banned 'water' for all classes");
    s = dispatch(s, { type: 'tune', op: 'remove', class: 1, concept: 0, ensemble: ensemble(5) }, 5);
    expect(headNode(s).label).toBe("Removed 'rust' from 'clean'");
    expect(s.state.constraints).toHaveLength(3);
    expect(s.state.ensemble!.served.W).toEqual(ensemble(5).served.W);
  });

  it('restore and revert append nodes whose state equals the target', () => {
    let s = distilled();
    const d = s.history.head;
    s = dispatch(s, { type: 'tune', op: 'uptune', class: 1, concept: 0, ensemble: ensemble(2) }, 2);
    const t = s.history.head;
    s = dispatch(s, { type: 'quickEdit', class: 1, concept: 2, value: 3 }, 3);
    const r = dispatch(s, { type: 'restore', node: d }, 4);
    expect(headNode(r).parentId).toBe(s.history.head);
    expect(headNode(r).label).toBe(`Restored "${s.history.nodes[d].label}"`);
    expect(r.state).toEqual(stateAt(r.history, d));
    const v = dispatch(s, { type: 'revert', node: t }, 4);
    expect(headNode(v).label).toBe(`Reverted "Uptuned 'rust' for 'clean' ×2"`);
    expect(v.state).toEqual(stateAt(v.history, d));
    expect(() => dispatch(s, { type: 'restore', node: 'nope' }, 5)).toThrow('history has no node nope');
  });

  it('corpus change remaps tune bounds and clears stale metrics', () => {
    let s = distilled();
    s = dispatch(s, { type: 'tune', op: 'ban', class: 0, concept: 2, ensemble: ensemble(2), metricsAfter: metrics(0.7) }, 2);
    const concepts = [{ name: 'water' }, { name: 'Rust ' }];
    const e2: Ensemble = {
      served: { W: new Float32Array(4), b: new Float32Array(2), C: 2, M: 2 },
      members: [],
      lo: new Float32Array(4),
      hi: new Float32Array(4),
    };
    s = dispatch(s, { type: 'corpusChange', concepts, conceptText: null, stats: null, ensemble: e2, oldToNew: [1, null, 0] }, 3);
    expect(headNode(s).label).toBe('Changed the concepts: removed 1 (now 2)');
    expect(s.state.constraints).toEqual([{ op: 'ban', class: 0, concept: 0, factor: 2 }]);
    expect(s.state.metrics).toBeNull();
    // Undo brings back the 3-concept student bit for bit.
    expect(undoSession(s).state.ensemble!.served.W).toEqual(ensemble(2).served.W);
  });

  it('teacher change with another class count drops the student unless refitted', () => {
    const s = dispatch(distilled(), { type: 'teacherChange', teacher: { kind: 'labels', name: 'ground truth' }, classes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }, 2);
    expect(s.state.ensemble).toBeNull();
    expect(headNode(s).label).toBe("Switched the teacher to 'ground truth' (3 classes)");
    expect(undoSession(s).state.ensemble).not.toBeNull();
  });

  it('importStudent records the file as a snapshot node; undo brings back the old student', () => {
    const s = distilled();
    const stats = { mu: Float32Array.from([1, 2, 3]), sigma: Float32Array.from([1, 1, 1]) };
    const i = dispatch(s, { type: 'importStudent', ensemble: ensemble(7), stats, source: 'student.json', metricsAfter: metrics(0.6) }, 2);
    expect(headNode(i).label).toBe("Imported the student file 'student.json'");
    expect(headNode(i).weightsRef).toBe(ensembleRef(ensemble(7)));
    expect(i.state.stats).toBe(stats);
    expect(i.state.metrics?.fidelity).toBe(0.6);
    expect(undoSession(i).state.ensemble!.served.W).toEqual(ensemble(1).served.W);
    const wrong = { ...ensemble(1), served: { ...model(1), M: 4 } };
    expect(() => dispatch(s, { type: 'importStudent', ensemble: wrong, stats, source: 'x.json' }, 3)).toThrow('the project has 2×3');
  });

  it('calibration: threshold label; UI actions leave no trace', () => {
    let s = distilled();
    s = dispatch(s, { type: 'calibrationChange', ood: { score: 'mcm', tau: 1, threshold: 0.5, calibrationN: 40 } }, 2);
    s = dispatch(s, { type: 'calibrationChange', ood: { score: 'mcm', tau: 1, threshold: 0.42, calibrationN: 40 } }, 3);
    expect(headNode(s).label).toBe('Set the OOD threshold to 0.42');
    expect(dispatch(s, { type: 'ui', what: 'hover' }, 4)).toBe(s);
    expect(dispatch(s, { type: 'calibrationChange' }, 4)).toBe(s);
  });

  it('rejects invalid actions with a specific message and changes nothing', () => {
    const s = distilled();
    expect(() => reduceProject(s.state, { type: 'quickEdit', class: 0, concept: 3, value: 1 })).toThrow('concept 3 does not exist (there are 3)');
    expect(() => reduceProject(s.state, { type: 'quickEdit', class: 0, concept: 0, value: NaN })).toThrow(ProjectActionError);
    expect(() => reduceProject(base, { type: 'quickEdit', class: 0, concept: 0, value: 1 })).toThrow('distill first');
    const wrong = { ...ensemble(1), served: { ...model(1), C: 3 } };
    expect(() => reduceProject(s.state, { type: 'tune', op: 'uptune', class: 0, concept: 0, ensemble: wrong })).toThrow('the student is 3×3');
    expect(() => reduceProject(s.state, { type: 'tune', op: 'uptune', class: 0, concept: 0, factor: 1, ensemble: ensemble(1) })).toThrow('above 1');
  });
});

describe('project session (properties)', () => {
  const actionArb = fc.oneof(
    fc.record({ t: fc.constant('edit' as const), c: fc.nat(C - 1), j: fc.nat(M - 1), v: fc.float({ min: -5, max: 5, noNaN: true }) }),
    fc.record({ t: fc.constant('tune' as const), c: fc.nat(C - 1), j: fc.nat(M - 1), seed: fc.nat(20) }),
    fc.constantFrom({ t: 'undo' as const }, { t: 'redo' as const }, { t: 'begin' as const }, { t: 'end' as const }),
    fc.record({ t: fc.constantFrom('restore' as const, 'revert' as const, 'checkout' as const), pick: fc.nat() }),
  );

  it('the session state always equals the state rebuilt at the head, and nodes are never lost', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { maxLength: 30 }), (acts) => {
        let s = distilled();
        let time = 2;
        const seen = new Set(Object.keys(s.history.nodes));
        for (const a of acts) {
          const ids = Object.keys(s.history.nodes);
          const pick = 'pick' in a ? ids[a.pick % ids.length] : '';
          let act: ProjectAction | null = null;
          const hasStudent = s.state.ensemble !== null;
          if (a.t === 'edit' && hasStudent) act = { type: 'quickEdit', class: a.c, concept: a.j, value: a.v };
          else if (a.t === 'tune' && hasStudent) act = { type: 'tune', op: 'downtune', class: a.c, concept: a.j, ensemble: ensemble(a.seed) };
          else if (a.t === 'restore') act = { type: 'restore', node: pick };
          else if (a.t === 'revert' && s.history.nodes[pick].parentId !== null) act = { type: 'revert', node: pick };
          if (act) s = dispatch(s, act, time++);
          else if (a.t === 'edit' || a.t === 'tune') continue;
          else if (a.t === 'undo') s = undoSession(s);
          else if (a.t === 'redo') s = redoSession(s);
          else if (a.t === 'begin') s = beginDrag(s);
          else if (a.t === 'end') s = endDrag(s);
          else if (a.t === 'checkout') s = checkoutSession(s, pick);
          expect(checkTree(s.history)).toEqual([]);
          expect(s.state).toEqual(stateAt(s.history, s.history.head));
          for (const id of seen) expect(s.history.nodes[id]).toBeDefined();
          if (!s.history.group) for (const id of Object.keys(s.history.nodes)) seen.add(id);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('exportSession', () => {
  it('exports the head state and refuses a project without a student', () => {
    const setup = {
      model: { id: 'm', embeddingDim: 2, preprocessing: { size: 224, crop: 'center' as const, mean: [0, 0, 0], std: [1, 1, 1], resample: 'bicubic' as const, padToSquare: false } },
      prompts: { templates: ['a photo of {concept}'] },
      regions: { grid: 1 as const, overlap: 0 },
      splits: { distill: 10, heldOut: 5 },
      checkImages: { images: { N: 1, R: 1, D: 2, data: Float32Array.from([0.6, 0.8]) } },
    };
    expect(() => exportSession(createSession(base, 0), setup)).toThrow('cannot export yet: the project needs a student');
    let s = distilled();
    s = dispatch(s, { type: 'corpusChange', concepts: base.concepts, conceptText: { rows: M, cols: 2, data: Float32Array.from([1, 0, 0, 1, 0.6, 0.8]) }, stats: { mu: new Float32Array(M), sigma: Float32Array.from([1, 1, 1]) }, ensemble: ensemble(2), oldToNew: [0, 1, 2] }, 2);
    s = dispatch(s, { type: 'quickEdit', class: 1, concept: 2, value: -0.75 }, 3);
    const doc = exportSession(s, setup);
    expect(doc.student.W[1 * M + 2]).toBe(-0.75);
    expect(doc.provenance.head).toBe(s.history.head);
    const r = parseStudentExport(serializeStudentExport(doc));
    expect(r.ok ? null : r.error).toBeNull();
  });

  it('exports an activation-only project (no concept text; embeddingDim null) with its training record', () => {
    const setup = {
      model: { id: 'precomputed-activations', embeddingDim: null, preprocessing: { size: 224, crop: 'none' as const, mean: [0, 0, 0], std: [1, 1, 1], resample: 'bicubic' as const, padToSquare: false } },
      prompts: { templates: ['{concept}'] },
      regions: { grid: 1 as const, overlap: 0 },
      splits: { distill: 10, heldOut: 5 },
      training: { lambda: 1e-4, members: 2, seed: 3, heldOutFraction: 1 / 3 },
      checkActivations: { raw: { rows: 2, cols: M, data: Float32Array.from([0.1, 0.2, 0.3, 0.3, 0.2, 0.1]) } },
    };
    let s = dispatch(distilled(), { type: 'corpusChange', concepts: base.concepts, conceptText: null, stats: { mu: Float32Array.from([0.2, 0.2, 0.2]), sigma: Float32Array.from([0.1, 0.1, 0.1]) }, ensemble: ensemble(2), oldToNew: [0, 1, 2] }, 2);
    expect(s.state.conceptText).toBeNull();
    const doc = exportSession(s, setup);
    expect(doc.model.embeddingDim).toBeNull();
    expect(doc.training).toEqual(setup.training);
    expect(doc.check.images).toHaveLength(2);
    const r = parseStudentExport(serializeStudentExport(doc));
    expect(r.ok ? null : r.error).toBeNull();
    // With an embedding size, the concept text is still required.
    expect(() => exportSession(s, { ...setup, model: { ...setup.model, embeddingDim: 2 } })).toThrow('cannot export yet: the project needs concept text embeddings');
    s = dispatch(s, { type: 'quickEdit', class: 0, concept: 0, value: 0.5 }, 3);
    expect(exportSession(s, setup).student.W[0]).toBe(0.5);
  });
});
