/**
 * What the studio knows about the bundled demo project while and after it opens: where its
 * arrays came from (the prepared cache or computed in this browser), the demo CLIP as loaded by
 * the embed worker (device, dtype), timings, and any error. Not project state: never recorded,
 * never saved; the Project view reads it.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';

export interface DemoModelStatus {
  id: string;
  device: string;
  dtype: string;
  reason: string;
  dim: number;
}

export interface DemoStatus {
  phase: 'idle' | 'loading' | 'ready' | 'error';
  /** 'cache': public/demo/cache (npm run demo:prepare); 'browser': embedded here by the embed worker. */
  source: 'cache' | 'browser' | null;
  model: DemoModelStatus | null;
  /** Download size of the ONNX towers a load fetches (text + vision), bytes; null until known. */
  modelBytes: number | null;
  /** Whole model folder as shipped (both dtypes), bytes. */
  folderBytes: number | null;
  /** Milliseconds from navigation start to the first screen with the demo student. */
  firstScreenMs: number | null;
  /** Named steps with their durations, in order. */
  steps: { label: string; ms: number }[];
  /** Teacher in use, in words (e.g. "Demo teacher (ONNX)"). */
  teacher: string;
  error: string | null;
  /** A non-fatal note (e.g. a placeholder teacher). */
  note: string | null;
}

export const demoStatus = createStore<DemoStatus>()(() => ({
  phase: 'idle', source: null, model: null, modelBytes: null, folderBytes: null, firstScreenMs: null, steps: [], teacher: '', error: null, note: null,
}));

export function setDemoStatus(patch: Partial<DemoStatus>): void {
  demoStatus.setState(patch);
}

export function demoStep(label: string, ms: number): void {
  demoStatus.setState((s) => ({ steps: [...s.steps, { label, ms: Math.round(ms) }] }));
}

export function useDemoStatus<T>(selector: (s: DemoStatus) => T): T {
  return useStore(demoStatus, selector);
}

let opener: (() => void) | null = null;
/** The app registers how to (re)open the demo project; the Project view's button calls it. */
export function setDemoOpener(fn: () => void): void {
  opener = fn;
}
export function reopenDemo(): void {
  opener?.();
}
export const canReopenDemo = (): boolean => opener != null;
