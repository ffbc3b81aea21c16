/**
 * Named tuning operations the views call: uptune/downtune/remove/ban (refit in the engine, then
 * one recorded commit), distil, and the Compare view's proposed step. Each ends in `commit`.
 */
import type { StateCreator } from 'zustand/vanilla';
import { CancelledError } from '../../core/types.ts';
import { getEngine } from '../engine.ts';
import { fmtPct } from '../format.ts';
import type { StudioState } from '../store.ts';
import { tuneBounds, type TuneKind } from '../tuneLocal.ts';

export interface TuningSlice {
  /** Refit with one weight (or column) boxed, METHODS.md §5. Resolves when committed or cancelled. */
  tune: (kind: TuneKind, cls: number, concept: number, factor?: number) => Promise<void>;
  distill: () => Promise<void>;
  confirmProposal: () => Promise<void>;
  /** Whether a refit is running (sliders still work; a second refit waits). */
  busy: boolean;
}

const VERB: Record<TuneKind, string> = {
  uptune: 'Uptune', downtune: 'Downtune', remove: 'Remove', ban: 'Ban', banAll: 'Ban (all classes)',
};

export const createTuningSlice: StateCreator<StudioState, [], [], TuningSlice> = (set, get) => ({
  busy: false,
  tune: async (kind, cls, concept, factor = 2) => {
    const s = get();
    const ds = s.dataset;
    if (!ds || !s.live || !s.ensemble || s.busy) return;
    const cname = ds.concepts[concept];
    const what = kind === 'banAll' ? `${cname}` : `${cname} for ${ds.classes[cls]}`;
    const label = `${VERB[kind]} ${what}${kind === 'uptune' || kind === 'downtune' ? ` ×${factor}` : ''}`;
    const bounds = tuneBounds(s.live.W, ds.C, ds.M, kind, cls, concept, factor);
    const served = { W: new Float32Array(s.live.W), b: new Float32Array(s.live.b), C: ds.C, M: ds.M };
    const job = s.startJob(label);
    set({ busy: true });
    try {
      const { ensemble } = await getEngine().tune(
        {
          raw: ds.raw, teacher: ds.teacher, labels: ds.labels ?? undefined, stats: ds.stats, split: ds.split,
          current: { ...s.ensemble, served }, bounds,
        },
        { signal: job.signal, token: job.token, onProgress: job.progress },
      );
      get().commit({
        type: 'applyModel', kind: kind === 'remove' ? 'remove' : kind.startsWith('ban') ? 'ban' : 'tune', label,
        params: { kind, cls, concept, factor }, ensemble,
      });
      job.finish();
    } catch (e) {
      job.finish(e instanceof CancelledError || (e as Error)?.name === 'AbortError' ? `${label} cancelled; nothing changed.` : `${label} failed: ${(e as Error).message}`);
    } finally {
      set({ busy: false });
    }
  },
  distill: async () => {
    const s = get();
    const ds = s.dataset;
    if (!ds || !s.ensemble || s.busy) return;
    const job = s.startJob('Distil the student');
    set({ busy: true });
    try {
      const { ensemble } = await getEngine().distill(
        { raw: ds.raw, teacher: ds.teacher, labels: ds.labels ?? undefined, start: s.ensemble, stats: ds.stats, split: ds.split },
        { signal: job.signal, token: job.token, onProgress: job.progress },
      );
      get().commit({ type: 'applyModel', kind: 'distill', label: 'Distil student from teacher', params: { engine: getEngine().name }, ensemble });
      job.finish(`Distillation done. Fidelity ${fmtPct(get().metrics?.fidelity)}.`);
    } catch (e) {
      job.finish(e instanceof CancelledError || (e as Error)?.name === 'AbortError' ? 'Distillation cancelled; nothing changed.' : `Distillation failed: ${(e as Error).message}`);
    } finally {
      set({ busy: false });
    }
  },
  confirmProposal: async () => {
    const p = get().ui.proposal;
    if (!p) return;
    get().setUi({ proposal: null });
    await get().tune(p.kind, p.cls, p.concept, p.factor);
  },
});
