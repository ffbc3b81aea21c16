/**
 * The unfamiliar-image flag on the demo project built from the committed cache: both scores,
 * the 95 %-pass threshold recorded as a calibrationChange (merged while the threshold moves),
 * the gallery filter, the student score following an edit, and the export's ood block with a
 * filled check block that the import's own verification accepts.
 */
import { demoOnDisk, loadDemoFromDisk } from '../../tools/demo/demoFromDisk.ts';
import { describe, expect, it } from 'vitest';
import { parseStudentExport } from '../core/schema/parse.ts';
import { createStudioStore, type StudioStore } from './store.ts';
import { buildDemoDataset, distillDemo, DEMO_TRAINING } from './demoProject.ts';
import { inProcessEngine } from './engine.ts';
import { exportStudentJson } from './exportStudent.ts';
import { defaultOodSettings, oodEvaluation, oodKinds, oodRows, oodScores, pick, unfamiliarFlags } from './ood.ts';
import { filteredImages } from '../ui/images/filter.ts';
import { fromSaved, SAVE_VERSION, toSaved } from './persistence.ts';

const have = demoOnDisk;

async function demoStore(): Promise<StudioStore> {
  const { meta, arrays } = await loadDemoFromDisk();
  const training = { ...DEMO_TRAINING, members: 3 };
  const r = await distillDemo(buildDemoDataset(meta, arrays), training, inProcessEngine, { signal: new AbortController().signal, token: { aborted: false }, onProgress: () => undefined });
  const store = createStudioStore();
  store.setState({ training });
  store.getState().commit({ type: 'load', dataset: r.dataset, ensemble: r.ensemble, label: 'demo' });
  return store;
}

describe.skipIf(!have)('unfamiliar-image flag on the demo', () => {
  it('scores, records the threshold, filters, follows edits and exports the ood block', async () => {
    const store = await demoStore();
    let s = store.getState();
    const ds = s.dataset!;
    expect(oodKinds(ds)).toEqual(['mcm', 'mcm-student']);
    const rows = oodRows(ds);
    expect(rows.id.length).toBe(300);
    expect(rows.ood!.length).toBe(150);
    const mcm = oodScores(ds, s.session, 'mcm')!;
    const e = oodEvaluation(ds, mcm)!;
    expect(e.auroc.value).toBeGreaterThan(0.85); // measured 0.930 (tools/demo/ood.ts)
    expect(e.auroc.lo).toBeLessThan(e.auroc.value);

    // The default flag is recorded in the load step itself: flags and the export's ood block from the start.
    const def = defaultOodSettings(ds, s.session, 'mcm')!;
    expect(def.calibrationN).toBe(300);
    expect(s.session!.state.calibration.ood).toEqual(def);
    expect(s.session!.history.root.calibration.ood).toEqual(def);
    expect(unfamiliarFlags(ds, s.session)!.some((f) => f === 1)).toBe(true);
    expect(JSON.parse(exportStudentJson(s)).ood.score).toBe('mcm');

    const steps = Object.keys(s.session!.history.nodes).length;
    s.commit({ type: 'oodSettings', ood: { ...def, threshold: def.threshold + 0.01 } });
    s.commit({ type: 'oodSettings', ood: def });
    s.commit({ type: 'oodSettings', ood: { ...def } }); // same values: no step
    s = store.getState();
    expect(Object.keys(s.session!.history.nodes).length).toBe(steps + 2);
    expect(s.session!.history.nodes[s.session!.history.head].label).toMatch(/OOD threshold/);
    expect(s.session!.state.calibration.ood).toEqual(def);

    // 95 % of held-out pass; the filter lists exactly the flagged images.
    const flags = unfamiliarFlags(ds, s.session)!;
    const heldFlagged = Array.from(rows.id).filter((i) => flags[i]).length;
    expect(heldFlagged).toBeLessThanOrEqual(15);
    const listed = filteredImages(s, { kind: 'unfamiliar' }, false);
    expect(listed.length).toBe(flags.reduce((a, b) => a + b, 0));
    expect(Array.from(listed).every((i) => flags[i] === 1)).toBe(true);
    expect(Array.from(pick(mcm, rows.ood!)).filter((v) => v < def.threshold).length).toBeGreaterThan(75);

    // The export carries the ood block and the check block's OOD scores; parsing re-verifies them.
    const doc = parseStudentExport(exportStudentJson(s));
    if (!doc.ok) throw new Error(doc.error);
    expect(doc.value.ood).toEqual({ score: 'mcm', tau: 1, threshold: Math.fround(def.threshold) === def.threshold ? def.threshold : expect.any(Number), calibrationN: 300 });
    expect(doc.value.ood!.threshold).toBeCloseTo(def.threshold, 6);
    expect(doc.value.check.images.every((im) => im.oodScore !== null)).toBe(true);
    expect(doc.value.classes.every((c) => c.textEmbedding?.length === 160)).toBe(true);

    // The student-prototype score follows an edit.
    const before = oodScores(ds, s.session, 'mcm-student')!;
    s.commit({ type: 'beginEdit', cls: 0, concept: 0 });
    s.commit({ type: 'quickEdit', cls: 0, concept: 0, value: 3 });
    s.commit({ type: 'endEdit' });
    s = store.getState();
    const after = oodScores(ds, s.session, 'mcm-student')!;
    expect(after).not.toBe(before);
    expect(Array.from(after).some((v, i) => Math.abs(v - before[i]) > 1e-6)).toBe(true);
    // The student-score variant exports too (its check block is recomputed from the prototypes).
    s.commit({ type: 'oodSettings', ood: defaultOodSettings(ds, s.session, 'mcm-student') });
    const doc2 = parseStudentExport(exportStudentJson(store.getState()));
    if (!doc2.ok) throw new Error(doc2.error);
    expect(doc2.value.ood!.score).toBe('mcm-student');

    // Autosave keeps the class prompt embeddings and the recorded settings.
    const r = fromSaved(SAVE_VERSION, structuredClone(toSaved(store.getState())));
    if ('error' in r) throw new Error(r.error);
    expect(r.dataset.classText!.rows).toBe(ds.C);
    expect(r.session.state.calibration.ood!.score).toBe('mcm-student');
  });
});
