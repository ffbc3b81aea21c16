/**
 * Chromium trace helpers for the UI benchmark: find the page's main thread and add up thread
 * time (tdur: CPU time of the thread, so other load on the machine does not count as our work).
 */
import type { Browser, Page } from 'playwright-core';

export interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  tid: number;
  pid: number;
  args?: { name?: string; data?: Record<string, unknown> };
}

export const TASK = ['RunTask', 'ThreadControllerImpl::RunTask'];

/** Rendering steps and script, as Chromium names them in devtools.timeline. */
export const STEPS: Record<string, string[]> = {
  script: ['EventDispatch', 'FireAnimationFrame', 'FunctionCall', 'TimerFire', 'V8.Execute', 'EvaluateScript', 'v8.callFunction'],
  style: ['UpdateLayoutTree', 'RecalculateStyles'],
  layout: ['Layout'],
  prePaint: ['PrePaint'],
  paint: ['Paint'],
  layerize: ['Layerize'],
  commit: ['Commit'],
  gc: ['MinorGC', 'MajorGC', 'V8.GC_SCAVENGER', 'V8.GC_MARK_COMPACTOR'],
};

export async function traced<T>(browser: Browser, page: Page, run: () => Promise<T>): Promise<{ value: T; events: TraceEvent[] }> {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'toplevel'] });
  let value: T;
  try {
    value = await run();
  } catch (e) {
    await browser.stopTracing(); // or the next startTracing throws
    throw e;
  }
  const buf = await browser.stopTracing();
  return { value, events: (JSON.parse(buf.toString()) as { traceEvents: TraceEvent[] }).traceEvents };
}

/** Complete ('X') events on the renderer main thread of the traced page, in time order. */
export function mainThread(events: TraceEvent[]): TraceEvent[] {
  const names = events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  // Several renderers may exist (workers run in the page's renderer); the page's main thread is
  // the one that ran the frame's rendering steps.
  const main = names.find((n) => events.some((e) => e.pid === n.pid && e.tid === n.tid && e.name === 'Paint')) ?? names[0];
  if (!main) throw new Error('no renderer main thread in the trace');
  return events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X').sort((a, b) => a.ts - b.ts);
}

const ms = (e: TraceEvent) => (e.tdur ?? e.dur ?? 0) / 1000;

/** Thread time of the outermost events with these names (nested ones are not counted twice). */
export function outermost(evs: TraceEvent[], names: string[]): number {
  let end = -Infinity;
  let total = 0;
  for (const e of evs) {
    if (!names.includes(e.name) || e.ts < end) continue;
    end = e.ts + (e.dur ?? 0);
    total += ms(e);
  }
  return total;
}

/**
 * Main-thread thread time split into the rendering steps: each event counts once, under the
 * first step that contains it (a style recalc forced inside a script counts as script).
 */
export function breakdown(evs: TraceEvent[]): Record<string, number> & { all: number; other: number } {
  const out: Record<string, number> = {};
  const all = outermost(evs, TASK);
  let counted = 0;
  let end = -Infinity;
  const stepOf = new Map<string, string>();
  for (const [k, names] of Object.entries(STEPS)) for (const n of names) stepOf.set(n, k);
  for (const e of evs) {
    const step = stepOf.get(e.name);
    if (!step || e.ts < end) continue;
    end = e.ts + (e.dur ?? 0);
    out[step] = (out[step] ?? 0) + ms(e);
    counted += ms(e);
  }
  return { ...out, all, other: Math.max(0, all - counted) } as Record<string, number> & { all: number; other: number };
}

/**
 * Longest main-thread tasks, longest first: wall ms (what a user waits) and thread ms (the
 * task's own CPU time; on a loaded machine wall time also counts waiting for a core).
 */
export function longestTasks(evs: TraceEvent[], n = 3): { wall: number; thread: number }[] {
  return evs.filter((e) => TASK.includes(e.name)).map((e) => ({ wall: (e.dur ?? 0) / 1000, thread: ms(e) })).sort((a, b) => b.wall - a.wall).slice(0, n);
}
