/**
 * Long-running work (distill, tune, embedding): progress with counts, rate and ETA, and
 * cancellation. Job state is UI state: it is never recorded in the provenance tree.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { CancelToken, Progress } from '../../core/types.ts';
import type { JobProgress } from '../types.ts';
import type { StudioState } from '../store.ts';

export interface JobHandle {
  id: string;
  /** Cancellation for core code (CancelToken) and for fetch/worker code (AbortSignal). */
  token: CancelToken;
  signal: AbortSignal;
  progress: (p: Progress) => void;
  finish: (message?: string) => void;
}

export interface JobsSlice {
  jobs: JobProgress[];
  startJob: (label: string, cancellable?: boolean) => JobHandle;
  cancelJob: (id: string) => void;
}

const controllers = new Map<string, AbortController>();
let seq = 0;

export const createJobsSlice: StateCreator<StudioState, [], [], JobsSlice> = (set, get) => ({
  jobs: [],
  startJob: (label, cancellable = true) => {
    const id = `job${++seq}`;
    const ctrl = new AbortController();
    controllers.set(id, ctrl);
    const startedAt = performance.now();
    const job: JobProgress = { id, label, stage: 'starting', done: 0, total: 0, startedAt, rate: 0, cancellable };
    set({ jobs: [...get().jobs, job] });
    get().announce(`${label} started.`);
    let lastAnnounced = 0;
    const token: CancelToken = { get aborted() { return ctrl.signal.aborted; } };
    return {
      id,
      token,
      signal: ctrl.signal,
      progress: (p) => {
        const secs = (performance.now() - startedAt) / 1000;
        const rate = secs > 0 ? p.done / secs : 0;
        set({ jobs: get().jobs.map((j) => (j.id === id ? { ...j, stage: p.stage, done: p.done, total: p.total, rate } : j)) });
        // Announce at quarters only: a polite region that talks on every tick is noise.
        const q = p.total ? Math.floor((4 * p.done) / p.total) : 0;
        if (q > lastAnnounced && q < 4) {
          lastAnnounced = q;
          get().announce(`${label}: ${q * 25} % done.`);
        }
      },
      finish: (message) => {
        controllers.delete(id);
        set({ jobs: get().jobs.filter((j) => j.id !== id) });
        if (message) get().announce(message);
      },
    };
  },
  cancelJob: (id) => {
    controllers.get(id)?.abort();
  },
});
