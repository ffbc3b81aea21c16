/**
 * Types of the provenance tree (METHODS.md §7, DESIGN.md "State and history").
 */

import type { Ensemble, Metrics } from '../types.ts';
import type { Diff, Diffable } from './diff.ts';

/**
 * How history treats an action (STYLE.md habit 7). Every action type declares one.
 * - `recorded`: one click = one new node (distill, tune, corpus change, restore…);
 * - `merged`: a continuous gesture (slider drag). All changes between `beginGroup` (pointer-down)
 *   and `endGroup` (pointer-up) become ONE node; outside a group it behaves like `recorded`
 *   (e.g. a keyboard nudge of the slider);
 * - `none`: UI-only (selection, hover, zoom): never a node, never touches undo/redo.
 */
export type CaptureMode = 'recorded' | 'merged' | 'none';

/** JSON-safe values: node params are exported as they are (METHODS.md §9 provenance). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** One held-out image whose student prediction changed: class `from` became class `to`. */
export interface Flip {
  image: number;
  from: number;
  to: number;
}

/**
 * One provenance node. `diff` takes the parent's state to this node's state (the root's diff is
 * empty: its state is the tree's root snapshot), so the state at any node = root snapshot with
 * the diffs along its path applied.
 */
export interface HistoryNode {
  id: string;
  parentId: string | null;
  /** Caller-supplied clock (ms since epoch); core never reads the clock itself. */
  time: number;
  /** Creation order, used to break ties (latest child) and to make ids. */
  seq: number;
  /** Action type, e.g. 'distill', 'quickEdit', 'tune', 'restore'. */
  action: string;
  params: JsonValue;
  /** Plain-language label for the provenance panel. */
  label: string;
  /** Held-out metrics after this change, when the caller measured them. */
  metricsAfter?: Metrics;
  /** Images whose prediction flipped relative to the parent. */
  flipped?: Flip[];
  diff: Diff;
  /**
   * Content hash (hash.ts) of the ensemble after this node, set when the node swapped in a
   * snapshot (refits) or restored one; resolvable in `tree.snapshots` in the first case.
   */
  weightsRef?: string;
}

/** What a reducer hands to history: a node minus the fields the tree assigns. */
export interface EntryDraft {
  action: string;
  params: JsonValue;
  label: string;
  diff: Diff;
  capture: CaptureMode;
  metricsAfter?: Metrics;
  flipped?: Flip[];
  weightsRef?: string;
  /** New content-addressed snapshots that `diff` refers to (ref → ensemble). */
  snapshots?: Record<string, Ensemble>;
}

/** An open gesture group (between pointer-down and pointer-up). */
export interface OpenGroup {
  /** Head when the gesture began. */
  baseHead: string;
  /** The node the gesture has produced so far (null until the first change). */
  nodeId: string | null;
}

/**
 * The whole tree. Immutable: every operation returns a new tree sharing unchanged parts.
 * `snapshots` is the content-addressed store of ensembles; persistence may move it to blobs.
 */
export interface HistoryTree<S extends Diffable> {
  /** State at the root node: the one full snapshot every other state is rebuilt from. */
  root: S;
  rootId: string;
  nodes: Readonly<Record<string, HistoryNode>>;
  head: string;
  /** parent id → the child last visited from it; redo follows this. */
  lastVisited: Readonly<Record<string, string>>;
  snapshots: Readonly<Record<string, Ensemble>>;
  seq: number;
  group: OpenGroup | null;
}
