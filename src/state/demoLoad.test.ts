/**
 * The demo loads for seconds while the studio stays usable. What the user does meanwhile wins:
 * a teacher source chosen (or a folder picked) in the Project view survives the demo's arrival,
 * a project opened meanwhile is never replaced (and the user is told how to open the demo), and
 * an older load superseded by a newer one does nothing.
 */
import { describe, expect, it } from 'vitest';
import { createStudioStore } from './store.ts';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { demoLoadOutcome, projectToken } from './demoLoad.ts';

function openSynthetic(store: ReturnType<typeof createStudioStore>, seed: number) {
  const { dataset, ensemble } = makeSyntheticProject({ seed, N: 200 });
  store.getState().commit({ type: 'load', dataset: { ...dataset, name: `Synthetic ${seed}` }, ensemble, label: 'Load' });
}

describe('a demo load that finishes while the user works', () => {
  it('keeps the teacher source and import preview chosen while it loaded', () => {
    const store = createStudioStore();
    const atStart = projectToken(store.getState());
    expect(atStart).toBeNull();
    store.getState().setUi({ teacherChoice: 'zero-shot' });
    const o = demoLoadOutcome(store.getState(), true, atStart);
    expect(o).toEqual({ kind: 'commit', keepUi: { teacherChoice: 'zero-shot' } });
    // Applied as the app applies it: the load resets the UI, the kept choices go back on top.
    openSynthetic(store, 1);
    expect(store.getState().ui.teacherChoice).toBe('current');
    if (o.kind === 'commit') store.getState().setUi(o.keepUi);
    expect(store.getState().ui.teacherChoice).toBe('zero-shot');
    expect(store.getState().dataset?.name).toBe('Synthetic 1');
  });

  it('never replaces a project opened meanwhile, and says how to open the demo', () => {
    const store = createStudioStore();
    const atStart = projectToken(store.getState());
    openSynthetic(store, 2);
    const o = demoLoadOutcome(store.getState(), true, atStart);
    expect(o.kind).toBe('keep');
    expect(o.kind === 'keep' && o.message).toMatch(/after you opened “Synthetic 2”, so “Synthetic 2” stays open\. To open the demo, use the “Demo project” button below\./);
  });

  it('reopening the demo over an open project commits when nothing else was opened', () => {
    const store = createStudioStore();
    openSynthetic(store, 3);
    const atStart = projectToken(store.getState());
    // Work on the open project (a new history node, same project) does not count as opening another.
    store.getState().commit({ type: 'relabel', concept: 0, name: 'renamed' });
    expect(demoLoadOutcome(store.getState(), true, atStart).kind).toBe('commit');
    openSynthetic(store, 4);
    expect(demoLoadOutcome(store.getState(), true, atStart).kind).toBe('keep');
  });

  it('an older load superseded by a newer one does nothing', () => {
    const store = createStudioStore();
    expect(demoLoadOutcome(store.getState(), false, null)).toEqual({ kind: 'superseded' });
  });
});
