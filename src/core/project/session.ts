/**
 * A session = the current project state + its provenance tree, kept in step: the state is
 * always the state at the tree's head. This is what the store's single `commit(action)` path
 * calls (DESIGN.md "State and history"); it is pure, so the clock is passed in.
 */

import { applyDiff } from '../history/diff.ts';
import { resolverOf } from '../history/query.ts';
import { beginGroup, checkout, commit, createHistory, endGroup, redo, undo, type MergeLabel, type Move } from '../history/tree.ts';
import type { HistoryTree } from '../history/types.ts';
import { quickEditLabel } from './labels.ts';
import { reduceProject } from './reducer.ts';
import type { ProjectAction, ProjectState } from './types.ts';

export interface Session {
  state: ProjectState;
  history: HistoryTree<ProjectState>;
}

export function createSession(initial: ProjectState, time: number): Session {
  return { state: initial, history: createHistory(initial, time) };
}

/**
 * During a drag, the merged node keeps the weight's value from before the drag in its params
 * and label ("… to 0.42 (was 0.10)", not "was 0.41").
 */
function mergeLabelFor(state: ProjectState): MergeLabel {
  return (node, next) => {
    const p = next.params as { class?: number; concept?: number; value?: number; from?: number } | null;
    const q = node.params as { class?: number; concept?: number; from?: number } | null;
    if (next.action !== 'quickEdit' || node.action !== 'quickEdit' || !p || !q) return { label: next.label, params: next.params };
    if (p.class !== q.class || p.concept !== q.concept || q.from === undefined || p.value === undefined) {
      return { label: next.label, params: next.params };
    }
    return {
      label: quickEditLabel(state, p.class!, p.concept!, q.from, p.value),
      params: { ...(next.params as Record<string, number>), from: q.from },
    };
  };
}

/** Run an action and record it according to its capture mode. */
export function dispatch(session: Session, action: ProjectAction, time: number): Session {
  const { state, entry } = reduceProject(session.state, action, { history: session.history });
  if (!entry) return state === session.state ? session : { ...session, state };
  return { state, history: commit(session.history, entry, time, mergeLabelFor(session.state)) };
}

function move(session: Session, mv: Move<ProjectState>): Session {
  if (mv.diff.length === 0 && mv.tree.head === session.history.head) return { ...session, history: mv.tree };
  return { state: applyDiff(session.state, mv.diff, resolverOf(mv.tree)), history: mv.tree };
}

export const undoSession = (s: Session): Session => move(s, undo(s.history));
export const redoSession = (s: Session): Session => move(s, redo(s.history));
/** Browse to any node without recording (the provenance panel's "go to"). */
export const checkoutSession = (s: Session, id: string): Session => move(s, checkout(s.history, id));

/** Pointer-down on a slider. */
export function beginDrag(s: Session): Session {
  return { ...s, history: beginGroup(s.history) };
}

/** Pointer-up: the drag's moves are now one node (or none, if it ended where it began). */
export function endDrag(s: Session): Session {
  const h = endGroup(s.history);
  // endGroup may drop an empty node; the state is unchanged either way (its diff was empty).
  return { ...s, history: h };
}
