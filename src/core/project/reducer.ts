/**
 * The pure project reducer: `(state, action, ctx) → { state', entry }`. `entry` is the history
 * draft describing the change (null when nothing changed or the action is UI-only); the caller
 * commits it to the provenance tree (session.ts does both).
 *
 * Invalid actions throw ProjectActionError with a specific message: they are programming errors
 * of the caller (the UI only offers valid ones), and nothing is changed.
 */

import type { Ensemble } from '../types.ts';
import { applyDiff, normalizeDiff, snapshotChange, type DiffOp } from '../history/diff.ts';
import { getNode } from '../history/query.ts';
import { restoreDraft } from '../history/tree.ts';
import type { EntryDraft, HistoryTree, JsonValue } from '../history/types.ts';
import { calibrationLabel, corpusLabel, distillLabel, importLabel, quickEditLabel, teacherLabel, tuneLabel } from './labels.ts';
import { CAPTURE, type ProjectAction, type ProjectState, type TuneConstraint } from './types.ts';

export class ProjectActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectActionError';
  }
}

/** Context some actions need: restore/revert read the provenance tree. */
export interface ReduceContext {
  history?: HistoryTree<ProjectState>;
}

export interface ReduceResult {
  state: ProjectState;
  entry: EntryDraft | null;
}

/** Why an ensemble does not fit C classes × M concepts, or null when it does. */
export function ensembleShapeError(e: Ensemble, C: number, M: number): string | null {
  const bad = (what: string, got: number, want: number) => `${what} has ${got} values, expected ${want}`;
  // Ensembles also come from files: check the shape before reading it.
  const arr = (x: unknown) => ArrayBuffer.isView(x) || Array.isArray(x);
  const model = (m: unknown) => typeof m === 'object' && m !== null && arr((m as { W?: unknown }).W) && arr((m as { b?: unknown }).b);
  if (typeof e !== 'object' || e === null || !model(e.served) || !arr(e.lo) || !arr(e.hi) || !Array.isArray(e.members) || !e.members.every(model)) {
    return 'it is not a student (served weights, bounds and members)';
  }
  if (e.served.C !== C || e.served.M !== M) {
    return `the student is ${e.served.C}×${e.served.M} (classes×concepts) but the project has ${C}×${M}`;
  }
  if (e.served.W.length !== C * M) return bad('W', e.served.W.length, C * M);
  if (e.served.b.length !== C) return bad('b', e.served.b.length, C);
  if (e.lo.length !== C * M) return bad('lo', e.lo.length, C * M);
  if (e.hi.length !== C * M) return bad('hi', e.hi.length, C * M);
  for (let k = 0; k < e.members.length; k++) {
    const m = e.members[k];
    if (m.W.length !== C * M || m.b.length !== C) return `member ${k} is not ${C}×${M}`;
  }
  return null;
}

function requireShape(e: Ensemble, C: number, M: number): void {
  const err = ensembleShapeError(e, C, M);
  if (err) throw new ProjectActionError(err);
}

function requireIndex(i: number, n: number, what: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new ProjectActionError(`${what} ${i} does not exist (there are ${n})`);
}

function setOp<K extends keyof ProjectState>(s: ProjectState, key: K, to: ProjectState[K]): DiffOp[] {
  return Object.is(s[key], to) ? [] : [{ op: 'set', key, from: s[key], to }];
}

/** Measured fields of a payload, copied onto a draft. */
function measured(draft: EntryDraft, a: { metricsAfter?: EntryDraft['metricsAfter']; flipped?: EntryDraft['flipped'] }): EntryDraft {
  if (a.metricsAfter) draft.metricsAfter = a.metricsAfter;
  if (a.flipped) draft.flipped = a.flipped;
  return draft;
}

/** Build the result: apply the draft's diff so the state always equals "parent + diff". */
function finish(s: ProjectState, draft: EntryDraft, resolveExtra?: HistoryTree<ProjectState>): ReduceResult {
  const diff = normalizeDiff(draft.diff);
  if (diff.length === 0 && draft.action !== 'restore' && draft.action !== 'revert') return { state: s, entry: null };
  const snaps = draft.snapshots ?? {};
  const state = applyDiff(s, diff, (ref) => snaps[ref] ?? resolveExtra?.snapshots[ref]);
  return { state, entry: { ...draft, diff } };
}

/** A refit's diff: swap the ensemble (both sides stored) and record its ref on the node. */
function refit(s: ProjectState, next: Ensemble | null): { ops: DiffOp[]; snapshots: Record<string, Ensemble>; weightsRef?: string } {
  if (next === s.ensemble) return { ops: [], snapshots: {} };
  const ch = snapshotChange(s.ensemble, next);
  return { ops: [ch.op], snapshots: ch.snapshots, ...(ch.op.to ? { weightsRef: ch.op.to } : {}) };
}

/** Remap tune bounds after a corpus change; without a map they are cleared (indices moved). */
function remapConstraints(cs: TuneConstraint[], oldToNew?: (number | null)[]): TuneConstraint[] {
  if (!oldToNew) return [];
  const out: TuneConstraint[] = [];
  for (const c of cs) {
    const j = oldToNew[c.concept];
    if (j !== null && j !== undefined) out.push({ ...c, concept: j });
  }
  return out;
}

export function reduceProject(s: ProjectState, a: ProjectAction, ctx: ReduceContext = {}): ReduceResult {
  const capture = CAPTURE[a.type];
  const C = s.classes.length;
  const M = s.concepts.length;
  switch (a.type) {
    case 'ui':
      return { state: s, entry: null };

    case 'distill': {
      requireShape(a.ensemble, C, M);
      if (a.stats && (a.stats.mu.length !== M || a.stats.sigma.length !== M)) {
        throw new ProjectActionError(`concept statistics have ${a.stats.mu.length} values, expected ${M}`);
      }
      const r = refit(s, a.ensemble);
      const ops = [...r.ops, ...(a.stats ? setOp(s, 'stats', a.stats) : []), ...setOp(s, 'metrics', a.metricsAfter ?? null)];
      const params: JsonValue = { members: a.ensemble.members.length, ...(a.lambda !== undefined ? { lambda: a.lambda } : {}) };
      const draft: EntryDraft = { action: 'distill', params, label: distillLabel(s, a.ensemble.members.length), diff: ops, capture, snapshots: r.snapshots };
      if (r.weightsRef) draft.weightsRef = r.weightsRef;
      return finish(s, measured(draft, a));
    }

    case 'importStudent': {
      requireShape(a.ensemble, C, M);
      if (a.stats.mu.length !== M || a.stats.sigma.length !== M) {
        throw new ProjectActionError(`concept statistics have ${a.stats.mu.length} values, expected ${M}`);
      }
      const r = refit(s, a.ensemble);
      const ops = [...r.ops, ...setOp(s, 'stats', a.stats), ...setOp(s, 'metrics', a.metricsAfter ?? null)];
      const params: JsonValue = { source: a.source, members: a.ensemble.members.length };
      const draft: EntryDraft = { action: 'importStudent', params, label: importLabel(a.source), diff: ops, capture, snapshots: r.snapshots };
      if (r.weightsRef) draft.weightsRef = r.weightsRef;
      return finish(s, measured(draft, a));
    }

    case 'quickEdit': {
      if (!s.ensemble) throw new ProjectActionError('there is no student to edit yet: distill first');
      requireIndex(a.class, C, 'class');
      requireIndex(a.concept, M, 'concept');
      if (!Number.isFinite(a.value)) throw new ProjectActionError(`a weight must be a finite number, got ${a.value}`);
      const index = a.class * M + a.concept;
      const from = s.ensemble.served.W[index];
      // Store what the Float32Array will actually hold, so apply/reverse are bit-exact.
      const to = Math.fround(a.value);
      const ops: DiffOp[] = [{ op: 'weights', W: [{ index, from, to }], b: [] }];
      // Unmeasured changes clear the metrics: stale numbers beside a new student would mislead.
      ops.push(...setOp(s, 'metrics', a.metricsAfter ?? null));
      const params: JsonValue = { class: a.class, concept: a.concept, value: to, from };
      const draft: EntryDraft = { action: 'quickEdit', params, label: quickEditLabel(s, a.class, a.concept, from, to), diff: ops, capture };
      return finish(s, measured(draft, a));
    }

    case 'tune': {
      if (!s.ensemble) throw new ProjectActionError('there is no student to tune yet: distill first');
      if (a.class !== 'all') requireIndex(a.class, C, 'class');
      requireIndex(a.concept, M, 'concept');
      const factor = a.factor ?? 2;
      if ((a.op === 'uptune' || a.op === 'downtune') && !(Number.isFinite(factor) && factor > 1)) {
        throw new ProjectActionError(`the tuning factor must be a number above 1, got ${factor}`);
      }
      requireShape(a.ensemble, C, M);
      const constraint: TuneConstraint = { op: a.op, class: a.class, concept: a.concept, factor };
      // A new bound on the same weight(s) replaces the old one rather than stacking with it.
      const constraints = [...s.constraints.filter((c) => !(c.class === a.class && c.concept === a.concept)), constraint];
      const r = refit(s, a.ensemble);
      const ops = [...r.ops, ...setOp(s, 'constraints', constraints), ...setOp(s, 'metrics', a.metricsAfter ?? null)];
      const params: JsonValue = { op: a.op, class: a.class, concept: a.concept, factor };
      const draft: EntryDraft = { action: 'tune', params, label: tuneLabel(s, a.op, a.class, a.concept, factor), diff: ops, capture, snapshots: r.snapshots };
      if (r.weightsRef) draft.weightsRef = r.weightsRef;
      return finish(s, measured(draft, a));
    }

    case 'restore':
    case 'revert': {
      const h = ctx.history;
      if (!h) throw new ProjectActionError(`${a.type} needs the provenance tree`);
      if (!h.nodes[a.node]) throw new ProjectActionError(`history has no node ${a.node}`);
      const node = getNode(h, a.node);
      let draft: EntryDraft;
      if (a.type === 'restore') draft = restoreDraft(h, a.node, `Restored "${node.label}"`, 'restore', { node: a.node });
      else {
        if (node.parentId === null) throw new ProjectActionError('the first entry has nothing before it to revert to');
        draft = restoreDraft(h, node.parentId, `Reverted "${node.label}"`, 'revert', { node: a.node });
      }
      return finish(s, draft, h);
    }

    case 'corpusChange': {
      const M2 = a.concepts.length;
      if (a.conceptText && a.conceptText.rows !== M2) {
        throw new ProjectActionError(`concept text embeddings have ${a.conceptText.rows} rows, expected ${M2}`);
      }
      if (a.stats && (a.stats.mu.length !== M2 || a.stats.sigma.length !== M2)) {
        throw new ProjectActionError(`concept statistics have ${a.stats.mu.length} values, expected ${M2}`);
      }
      if (a.ensemble) requireShape(a.ensemble, C, M2);
      if (a.oldToNew && a.oldToNew.length !== M) throw new ProjectActionError(`oldToNew has ${a.oldToNew.length} entries, expected ${M}`);
      const r = refit(s, a.ensemble);
      const ops = [
        ...r.ops,
        ...setOp(s, 'concepts', a.concepts),
        ...setOp(s, 'conceptText', a.conceptText),
        ...setOp(s, 'stats', a.stats),
        ...setOp(s, 'constraints', remapConstraints(s.constraints, a.oldToNew)),
        // Metrics of the old corpus say nothing about the new student.
        ...setOp(s, 'metrics', a.metricsAfter ?? null),
      ];
      const params: JsonValue = { concepts: M2, before: M, ...(a.summary ? { summary: a.summary } : {}) };
      const draft: EntryDraft = { action: 'corpusChange', params, label: a.summary ?? corpusLabel(s.concepts, a.concepts), diff: ops, capture, snapshots: r.snapshots };
      if (r.weightsRef) draft.weightsRef = r.weightsRef;
      return finish(s, measured(draft, a));
    }

    case 'teacherChange': {
      const classes = a.classes ?? s.classes;
      // A new class list invalidates the old student unless a refit came with the change.
      const next = a.ensemble !== undefined ? a.ensemble : classes.length === C ? s.ensemble : null;
      if (next) requireShape(next, classes.length, M);
      const r = refit(s, next);
      const ops = [
        ...r.ops,
        ...setOp(s, 'teacher', a.teacher),
        ...(a.classes ? setOp(s, 'classes', a.classes) : []),
        ...setOp(s, 'metrics', a.metricsAfter ?? null),
      ];
      const params: JsonValue = { kind: a.teacher.kind, name: a.teacher.name, classes: classes.length };
      const draft: EntryDraft = { action: 'teacherChange', params, label: teacherLabel(a.teacher.name, C, classes.length), diff: ops, capture, snapshots: r.snapshots };
      if (r.weightsRef) draft.weightsRef = r.weightsRef;
      return finish(s, measured(draft, a));
    }

    case 'calibrationChange': {
      const o = a.ood;
      if (o && !(o.tau > 0 && Number.isFinite(o.threshold) && o.calibrationN >= 0)) {
        throw new ProjectActionError('OOD settings need τ > 0, a finite threshold and a calibration count ≥ 0');
      }
      const calibration = {
        ood: a.ood !== undefined ? a.ood : s.calibration.ood,
        domain: a.domain !== undefined ? a.domain : s.calibration.domain,
      };
      if (calibration.ood === s.calibration.ood && calibration.domain === s.calibration.domain) return { state: s, entry: null };
      const params: JsonValue = {
        ood: calibration.ood ? { score: calibration.ood.score, tau: calibration.ood.tau, threshold: calibration.ood.threshold } : null,
        domain: calibration.domain ? calibration.domain.mode : null,
      };
      const ops = [...setOp(s, 'calibration', calibration), ...(a.metricsAfter ? setOp(s, 'metrics', a.metricsAfter) : [])];
      const draft: EntryDraft = { action: 'calibrationChange', params, label: calibrationLabel(s.calibration, calibration), diff: ops, capture };
      return finish(s, measured(draft, a));
    }
  }
}
