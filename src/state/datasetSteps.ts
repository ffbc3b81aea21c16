/**
 * The parts of the dataset a history step can change that the core session does not hold: the
 * teacher's arrays (a teacher change) and the split (a distillation on a new split, an HTTP
 * teacher's answered images). METHODS §7 wants every step reversible, so these are kept per
 * history node, in the dataset itself (`Dataset.steps`, saved and exported with it), and
 * undo / redo / restore put back the ones in force at the node they move to.
 *
 * Rule: a node's values are those of the nearest node on its path to the root that has a record.
 * The first change of these fields records the values from before it at the root (until then
 * every node had them), and every change records the new values at its own node; a restore
 * records the restored values at the new node (its parent is the old head, not the restored node).
 */
import type { Session } from '../core/project/index.ts';
import type { Dataset } from './types.ts';

export type DatasetStep = Pick<Dataset, 'teacher' | 'teacherPred' | 'teacherDescription' | 'split' | 'isTest' | 'httpTeacher'>;

const FIELDS = ['teacher', 'teacherPred', 'teacherDescription', 'split', 'isTest', 'httpTeacher'] as const;

export function stepOf(ds: Dataset): DatasetStep {
  return { teacher: ds.teacher, teacherPred: ds.teacherPred, teacherDescription: ds.teacherDescription, split: ds.split, isTest: ds.isTest, httpTeacher: ds.httpTeacher ?? null };
}

function sameStep(a: DatasetStep, b: DatasetStep): boolean {
  return FIELDS.every((k) => (a[k] ?? null) === (b[k] ?? null));
}

/** Whether a recorded step fits the dataset's sizes (a project file is read from outside). */
function fits(ds: Dataset, s: DatasetStep): boolean {
  const inRange = (idx: Int32Array) => idx instanceof Int32Array && idx.every((i) => i >= 0 && i < ds.N);
  return !!s && s.teacher?.rows === ds.N && s.teacher.cols === ds.C && s.teacher.data instanceof Float32Array && s.teacher.data.length === ds.N * ds.C
    && s.teacherPred instanceof Int32Array && s.teacherPred.length === ds.N && s.teacherPred.every((c) => c >= 0 && c < ds.C)
    && s.isTest instanceof Uint8Array && s.isTest.length === ds.N && typeof s.teacherDescription === 'string'
    && !!s.split && inRange(s.split.train) && inRange(s.split.heldOut) && s.split.heldOut.length > 0;
}

/** The recorded step in force at `nodeId` (nearest record on its path to the root), or null when none applies. */
export function stepAt(ds: Dataset, session: Session, nodeId: string): DatasetStep | null {
  const steps = ds.steps;
  if (!steps) return null;
  for (let cur: string | null = nodeId; cur; cur = session.history.nodes[cur]?.parentId ?? null) {
    const s = steps[cur];
    if (s) return fits(ds, s) ? s : null;
  }
  return null;
}

/** The dataset with the values in force at `nodeId` (unchanged when nothing was recorded). */
export function datasetAt(ds: Dataset, session: Session, nodeId: string): Dataset {
  const s = stepAt(ds, session, nodeId);
  return s && !sameStep(s, stepOf(ds)) ? { ...ds, ...s } : ds;
}

/**
 * The dataset after a recorded change from `before` (at `from`'s head) to `after` (the new node
 * `to`'s head): records both sides when the step changed the teacher or the split.
 */
export function recordStep(before: Dataset, after: Dataset, from: Session, to: Session): Dataset {
  const head = to.history.head;
  if (head === from.history.head) return after;
  const was = stepOf(before);
  const now = stepOf(after);
  if (sameStep(was, now)) {
    // Nothing of ours changed, but a restore's node must still say what it restored.
    return after.steps && to.history.nodes[head]?.action === 'restore' ? { ...after, steps: { ...after.steps, [head]: now } } : after;
  }
  const steps = { ...(before.steps ?? {}) };
  if (!stepAt(before, from, from.history.head)) steps[from.history.rootId] = was;
  steps[head] = now;
  return { ...after, steps };
}
