import { describe, expect, it } from 'vitest';
import { unzipSync, zipSync } from 'fflate';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { createStudioStore, type StudioStore } from './store.ts';
import { exportProjectZip, importProjectZip } from './projectZip.ts';

function loaded(N = 300, seed = 3): StudioStore {
  const store = createStudioStore();
  const { dataset, ensemble } = makeSyntheticProject({ seed, N });
  store.getState().commit({ type: 'load', dataset, ensemble, label: 'Load synthetic' });
  return store;
}

function edited(): StudioStore {
  const store = loaded();
  const st = store.getState();
  st.commit({ type: 'beginEdit', cls: 0, concept: 2 });
  st.commit({ type: 'quickEdit', cls: 0, concept: 2, value: 1.5 });
  st.commit({ type: 'endEdit' });
  st.commit({ type: 'settings', patch: { padToSquare: true } });
  return store;
}

describe('whole-project file: export → import', () => {
  it('brings back the dataset arrays, student, provenance and settings exactly', async () => {
    const a = edited();
    const zip = await exportProjectZip(a.getState());
    const b = loaded(200, 9);
    const r = importProjectZip(b.getState(), zip, 'p.zip');
    expect(r).toMatchObject({ ok: true });
    const A = a.getState();
    const B = b.getState();
    expect(B.dataset!.N).toBe(300);
    expect(Array.from(B.dataset!.raw.data)).toEqual(Array.from(A.dataset!.raw.data));
    expect(Array.from(B.dataset!.teacher.data)).toEqual(Array.from(A.dataset!.teacher.data));
    expect(Array.from(B.ensemble!.served.W)).toEqual(Array.from(A.ensemble!.served.W));
    expect(Object.keys(B.session!.history.nodes).sort()).toEqual(Object.keys(A.session!.history.nodes).sort());
    expect(B.session!.history.head).toBe(A.session!.history.head);
    expect(B.metrics!.fidelity).toBe(A.metrics!.fidelity);
    expect(B.settings.padToSquare).toBe(true);
    expect(B.settings.log.length).toBe(1);
    // Undo works across the file: back to the loaded student.
    B.commit({ type: 'undo' });
    expect(b.getState().session!.history.head).not.toBe(A.session!.history.head);
  });

  it('refuses a damaged project and changes nothing', async () => {
    const zip = await exportProjectZip(edited().getState());
    const files = unzipSync(zip);
    const m = JSON.parse(new TextDecoder().decode(files['project.json']));
    m.payload.dataset.N = 301; // arrays no longer match
    files['project.json'] = new TextEncoder().encode(JSON.stringify(m));
    const b = loaded(200, 9);
    const before = b.getState();
    const r = importProjectZip(before, zipSync(files), 'bad.zip');
    expect(r).toEqual({ ok: false, error: 'bad.zip: dataset.imageNames has 300 values, expected 301' });
    expect(b.getState().session).toBe(before.session);
    expect(b.getState().dataset).toBe(before.dataset);
    m.payload.dataset.N = 300;
    m.payload.training.lambda = -1;
    files['project.json'] = new TextEncoder().encode(JSON.stringify(m));
    expect(importProjectZip(before, zipSync(files), 'bad.zip')).toMatchObject({ ok: false, error: expect.stringMatching(/^bad.zip: project.json payload.training.lambda: /) });
    expect(importProjectZip(before, new TextEncoder().encode('hello'), 'x.zip')).toMatchObject({ ok: false, error: expect.stringMatching(/^x.zip: not a zip file/) });
    expect(b.getState().session).toBe(before.session);
  });

  it('refuses a damaged history or student by name, never with a TypeError (found by npm run fuzz)', async () => {
    const zip = await exportProjectZip(edited().getState());
    const b = loaded(200, 9);
    const before = b.getState();
    const damaged = (damage: (m: { payload: Record<string, any> }) => void) => {
      const files = unzipSync(zip);
      const m = JSON.parse(new TextDecoder().decode(files['project.json']));
      damage(m);
      files['project.json'] = new TextEncoder().encode(JSON.stringify(m));
      return importProjectZip(before, zipSync(files), 'bad.zip');
    };
    expect(damaged((m) => { m.payload.session.history.lastVisited = null; })).toEqual({ ok: false, error: 'bad.zip: saved history is damaged: its lastVisited map is missing' });
    expect(damaged((m) => { const [id] = Object.keys(m.payload.session.history.nodes); m.payload.session.history.nodes[id] = 7; })).toMatchObject({ ok: false, error: expect.stringMatching(/^bad.zip: saved history is damaged: node .* is not a node$/) });
    expect(damaged((m) => { m.payload.session.state.ensemble = { lo: [] }; })).toEqual({ ok: false, error: 'bad.zip: saved student does not fit the dataset: it is not a student (served weights, bounds and members)' });
    expect(damaged((m) => { m.payload.session.state.classes = 'x'; })).toEqual({ ok: false, error: 'bad.zip: saved student has no class or concept list' });
    // Damage only the hydrate itself trips on: refused by name, and nothing replaced.
    expect(damaged((m) => { m.payload.session.state.stats = { mu: null }; })).toMatchObject({ ok: false, error: expect.stringMatching(/^bad.zip: the project could not be opened \(.+\)$/) });
    expect(b.getState().session).toBe(before.session);
    expect(b.getState().dataset).toBe(before.dataset);
  });
});
