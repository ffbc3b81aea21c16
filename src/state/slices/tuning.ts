/**
 * Named tuning operations the views call: uptune/downtune/remove/ban (refit in the engine, then
 * one recorded commit), distil, and the Compare view's proposed step. Each ends in `commit`.
 */
import type { StateCreator } from 'zustand/vanilla';
import { CancelledError } from '../../core/types.ts';
import { getEngine } from '../engine.ts';
import { fmtPct } from '../format.ts';
import type { StudioState } from '../store.ts';
import type { ActionType, Dataset } from '../types.ts';
import { standardise } from '../../core/concepts/stats.ts';
import type { ConceptStats } from '../../core/types.ts';
import type { Split } from '../../core/pipeline/types.ts';

/** The dataset with a new split and standardisation (from a real distillation). */
function withSplit(ds: Dataset, stats: ConceptStats, split: Split): Dataset {
  const isTest = new Uint8Array(ds.N);
  for (const i of split.heldOut) isTest[i] = 1;
  return { ...ds, stats, split, isTest, ahat: standardise(ds.raw, stats).data };
}
import { tuneBox, type TuneAction } from '../../core/tuning/bounds.ts';
import type { TuneKind } from '../tuneLocal.ts';

export interface TuningSlice {
  /** Refit with one weight (or column) boxed, METHODS.md §5. Resolves when committed or cancelled. */
  tune: (kind: TuneKind, cls: number, concept: number, factor?: number) => Promise<void>;
  /** Several bounds in one refit (e.g. applying a hygiene report), recorded as one step. */
  tuneActions: (actions: TuneAction[], label: string, kind: ActionType, params: Record<string, unknown>) => Promise<void>;
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
    const ds = get().dataset;
    if (!ds) return;
    const cname = ds.concepts[concept];
    const what = kind === 'banAll' ? `${cname}` : `${cname} for ${ds.classes[cls]}`;
    const label = `${VERB[kind]} ${what}${kind === 'uptune' || kind === 'downtune' ? ` ×${factor}` : ''}`;
    const action: TuneAction =
      kind === 'banAll' ? { kind: 'ban', j: concept, c: 'all' }
        : kind === 'ban' ? { kind: 'ban', j: concept, c: cls }
          : kind === 'remove' ? { kind: 'remove', c: cls, j: concept }
            : { kind, c: cls, j: concept, factor };
    await get().tuneActions([action], label, kind === 'remove' ? 'remove' : kind.startsWith('ban') ? 'ban' : 'tune', { kind, cls, concept, factor });
  },
  tuneActions: async (actions, label, kind, params) => {
    const s = get();
    const ds = s.dataset;
    if (!ds || !s.live || !s.ensemble || s.busy) return;
    const served = { W: new Float32Array(s.live.W), b: new Float32Array(s.live.b), C: ds.C, M: ds.M };
    let bounds;
    try {
      bounds = tuneBox(actions, served).box;
    } catch (e) {
      s.announce(`Cannot ${label.toLowerCase()}: ${(e as Error).message}`);
      return;
    }
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
      get().commit({ type: 'applyModel', kind, label, params, ensemble });
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
      const r = await getEngine().distill(
        { raw: ds.raw, teacher: ds.teacher, labels: ds.labels ?? undefined, start: s.ensemble, stats: ds.stats, split: ds.split },
        { signal: job.signal, token: job.token, onProgress: job.progress },
      );
      const dataset = r.stats && r.split ? withSplit(ds, r.stats, r.split) : undefined;
      get().commit({ type: 'applyModel', kind: 'distill', label: 'Distil student from teacher', params: { engine: getEngine().name }, ensemble: r.ensemble, dataset });
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
