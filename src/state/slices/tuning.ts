/**
 * Named tuning operations the views call: uptune/downtune/remove/ban (bounds from core/tuning,
 * refit by the engine = core pipeline in the train worker, then one recorded `tune` action),
 * distil, import, and the Compare view's proposed step. Each ends in `commit`.
 */
import type { StateCreator } from 'zustand/vanilla';
import { CancelledError, type Box } from '../../core/types.ts';
import { tuneBox, freeBox, type TuneAction } from '../../core/tuning/bounds.ts';
import type { ProjectAction, TuneOp } from '../../core/project/index.ts';
import { standardise } from '../../core/concepts/stats.ts';
import type { ConceptStats } from '../../core/types.ts';
import type { Split } from '../../core/pipeline/types.ts';
import { getEngine } from '../engine.ts';
import { fmtPct } from '../format.ts';
import { boxAt, heldOutFlips } from '../project.ts';
import { calibrated, refitActivations } from '../domain.ts';
import type { StudioState } from '../store.ts';
import type { Dataset } from '../types.ts';

export type TuneKind = 'uptune' | 'downtune' | 'remove' | 'ban' | 'banAll';

/** One tuning request: a core TuneAction plus the label-side facts core's tune action records. */
export interface TuneRequest {
  op: TuneOp;
  cls: number | 'all';
  concept: number;
  factor?: number;
}

/** The dataset with a new split and standardisation (from a real distillation). */
function withSplit(ds: Dataset, stats: ConceptStats, split: Split): Dataset {
  const isTest = new Uint8Array(ds.N);
  for (const i of split.heldOut) isTest[i] = 1;
  return { ...ds, stats, split, isTest, ahat: standardise(ds.raw, stats).data };
}

function toTuneAction(r: TuneRequest): TuneAction {
  if (r.op === 'ban') return { kind: 'ban', j: r.concept, c: r.cls };
  if (r.cls === 'all') throw new Error(`${r.op} works on one class at a time`);
  if (r.op === 'remove') return { kind: 'remove', c: r.cls, j: r.concept };
  return { kind: r.op, c: r.cls, j: r.concept, factor: r.factor };
}

const cancelled = (e: unknown) => e instanceof CancelledError || (e as Error)?.name === 'AbortError' || (e as Error)?.name === 'CancelledError';

export interface TuningSlice {
  /** Refit with one weight (or column) boxed, METHODS.md §5. Resolves when committed or cancelled. */
  tune: (kind: TuneKind, cls: number, concept: number, factor?: number) => Promise<void>;
  /** Several bounds in one refit (e.g. applying a hygiene report); one node per bound, one refit. */
  tuneMany: (requests: TuneRequest[], label: string) => Promise<void>;
  distill: () => Promise<void>;
  confirmProposal: () => Promise<void>;
  /** Whether a refit is running (sliders still work; a second refit waits). */
  busy: boolean;
}

export const createTuningSlice: StateCreator<StudioState, [], [], TuningSlice> = (set, get) => ({
  busy: false,
  tune: async (kind, cls, concept, factor = 2) => {
    const req: TuneRequest = kind === 'banAll' ? { op: 'ban', cls: 'all', concept } : { op: kind, cls, concept, ...(kind === 'uptune' || kind === 'downtune' ? { factor } : {}) };
    await get().tuneMany([req], '');
  },
  tuneMany: async (requests, label) => {
    get().commit({ type: 'endEdit' });
    const s = get();
    const ds = s.dataset;
    const session = s.session;
    const ens = session?.state.ensemble;
    if (!ds || !session || !ens || s.busy || !requests.length) return;
    // Bounds come from the weights as they are now (quick edits included), merged into the box
    // earlier tunes left, so a banned concept stays banned through later refits (as in the CLI).
    let box: Box;
    try {
      box = tuneBox(requests.map(toTuneAction), ens.served, boxAt(session, s.boxes, session.history.head, ds.C, ds.M)).box;
    } catch (e) {
      s.announce(`Cannot tune: ${(e as Error).message}`);
      return;
    }
    const what = label || `${requests[0].op} ${ds.concepts[requests[0].concept]}`;
    const job = s.startJob(what.charAt(0).toUpperCase() + what.slice(1));
    set({ busy: true });
    try {
      const { training } = get();
      // The worker also sends the refitted student's live logits over our Â, so taking the result
      // in costs O(N), not an O(N·M·C) recompute on the UI thread.
      const ahat = ds.ahat;
      const r = await getEngine().tune(
        { ...refitActivations(ds), teacher: ds.teacher, labels: ds.labels ?? undefined, split: ds.split, current: ens, bounds: box, lambda: training.lambda, seed: training.seed },
        { signal: job.signal, token: job.token, onProgress: job.progress, liveAhat: { rows: ds.N, cols: ds.M, data: ahat } },
      );
      const before = get().headPred;
      const flipped = before ? heldOutFlips(ds, before, r.predictions) : undefined;
      // One node per request; the refitted student (and its measurements) arrives on the last.
      const actions = requests.map((q, k): Extract<ProjectAction, { type: 'tune' }> => {
        const last = k === requests.length - 1;
        return {
          type: 'tune', op: q.op, class: q.cls, concept: q.concept, ...(q.factor !== undefined ? { factor: q.factor } : {}),
          ensemble: last ? r.ensemble : ens,
          ...(last ? { metricsAfter: r.metrics, ...(flipped ? { flipped } : {}) } : {}),
        };
      });
      get().commit({ type: 'refit', actions, box, ...(r.live ? { live: { ahat, state: r.live } } : {}) });
      job.finish();
    } catch (e) {
      job.finish(cancelled(e) ? `${what} cancelled; nothing changed.` : `${what} failed: ${(e as Error).message}`);
    } finally {
      set({ busy: false });
    }
  },
  distill: async () => {
    get().commit({ type: 'endEdit' });
    const s = get();
    const ds = s.dataset;
    if (!ds || !s.session || s.busy) return;
    const job = s.startJob('Distil the student');
    set({ busy: true });
    try {
      const t = get().training;
      const r = await getEngine().distill(
        {
          raw: ds.raw, teacher: ds.teacher, labels: ds.labels ?? undefined, holdout: t.heldOutFraction, members: t.members, lambda: t.lambda, seed: t.seed,
          // A dataset that ships its own sets (the demo) keeps its distill / held-out split; so does an
          // HTTP teacher's (answered images only).
          ...(ds.source.kind === 'demo' || ds.httpTeacher ? { split: ds.split } : {}),
          // Under domain calibration the student sees calibrated â: it is fitted on that too.
          ...(calibrated(ds) ? { fitOn: refitActivations(ds) } : {}),
        },
        { signal: job.signal, token: job.token, onProgress: job.progress },
      );
      const dataset = withSplit(ds, r.stats, r.split);
      const before = get().headPred;
      const flipped = before ? heldOutFlips(dataset, before, r.predictions) : undefined;
      get().commit({
        type: 'refit', dataset, box: freeBox(ds.C, ds.M),
        actions: [{ type: 'distill', ensemble: r.ensemble, stats: r.stats, lambda: t.lambda, metricsAfter: r.metrics, ...(flipped ? { flipped } : {}) }],
      });
      job.finish(`Distillation done. Fidelity ${fmtPct(get().metrics?.fidelity)}.`);
    } catch (e) {
      job.finish(cancelled(e) ? 'Distillation cancelled; nothing changed.' : `Distillation failed: ${(e as Error).message}`);
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
