import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { makeSyntheticProject } from './demoSynthetic.ts';
import { createStudioStore } from './store.ts';
import { applyHttpAnswers, httpBlocker, httpRun, prepareHttpRun, setTeacherFetch, startHttpRun } from './httpTeacher.ts';
import { exportStudentJson } from './exportStudent.ts';

const TEACHER = 'http://127.0.0.1:9/predict?key=SECRET';

/** A project whose images are files at /img/i.jpg, and a fake network serving them and a label teacher. */
function setup(N = 200) {
  const store = createStudioStore();
  const { dataset, ensemble } = makeSyntheticProject({ seed: 3, N });
  const ds = { ...dataset, source: { kind: 'imported' as const, name: 'files' }, thumbs: Array.from({ length: N }, (_, i) => `/img/${i}.jpg`) };
  store.getState().commit({ type: 'load', dataset: ds, ensemble, label: 'Load' });
  const asked: number[] = [];
  setTeacherFetch((async (url: string | URL | Request, init?: RequestInit) => {
    const u = String(url);
    const m = /^\/img\/(\d+)\.jpg$/.exec(u);
    if (m) return new Response(Uint8Array.from([+m[1] & 255, +m[1] >> 8, 7]), { headers: { 'Content-Type': 'image/jpeg' } });
    if (u === TEACHER) {
      const b = Uint8Array.from(atob((JSON.parse(init!.body as string) as { image: string }).image), (c) => c.charCodeAt(0));
      const i = b[0] + (b[1] << 8);
      asked.push(i);
      // The teacher's answer is the synthetic teacher's own label; image 5 gets an unknown label.
      const label = i === 5 ? 'dented' : ds.classes[ds.teacherPred[i]];
      return new Response(JSON.stringify({ label }));
    }
    return new Response('not found', { status: 404 });
  }) as typeof fetch);
  const config = { url: TEACHER, headers: [{ name: 'X-Api-Key', value: 'SECRET' }], request: { format: 'json-base64' }, response: { kind: 'label', path: 'label' }, budget: 60, ratePerSecond: 1000, concurrency: 4 };
  return { store, asked, config };
}

describe('HTTP teacher in the studio (fake network)', () => {
  it('explains before sending, asks least-certain first, records the teacher change, distils on answered images, never re-asks', async () => {
    const { store, asked, config } = setup();
    expect(httpBlocker(store.getState())).toBeNull();
    await prepareHttpRun(store.getState(), config);
    const p = httpRun.getState().prepared!;
    expect(httpRun.getState().phase).toBe('confirm');
    expect(asked).toEqual([]); // nothing sent before the confirmation
    expect(p.images).toHaveLength(60);
    expect(p.cached).toBe(0);
    expect(p.heldOut).toBe(Math.round(60 * 0.2));
    // Distillation images come least certain first: the student's logit margins never decrease.
    const s0 = store.getState();
    const live = s0.live!;
    const margin = (i: number) => {
      const z = Array.from({ length: s0.dataset!.C }, (_, c) => live.logit(i, c)).sort((a, b) => b - a);
      return z[0] - z[1];
    };
    const trainAsked = p.images.map((im) => im.index).filter((i) => !s0.dataset!.isTest[i]);
    for (let k = 1; k < trainAsked.length; k++) expect(margin(trainAsked[k])).toBeGreaterThanOrEqual(margin(trainAsked[k - 1]) - 1e-9);
    const allTrain = Array.from(s0.dataset!.split.train).map(margin).sort((a, b) => a - b);
    expect(margin(trainAsked.at(-1)!)).toBeLessThanOrEqual(allTrain[trainAsked.length - 1] + 1e-9);

    await startHttpRun();
    const st = httpRun.getState();
    expect(st.phase).toBe('finished');
    expect(asked).toHaveLength(60);
    expect(st.progress).toMatchObject({ requests: 60, budgetLeft: 0 });
    // Image 5 (if asked) answered a label that is not a class: reported, not stored.
    const bad = st.failures.filter((f) => f.kind === 'unknown-label');
    expect(bad.length).toBe(asked.includes(5) ? 1 : 0);
    expect(st.answers.size).toBe(60 - bad.length);

    const nodes0 = Object.keys(store.getState().session!.history.nodes).length;
    await applyHttpAnswers(store.getState());
    const s = store.getState();
    const nodes = Object.values(s.session!.history.nodes).sort((a, b) => a.seq - b.seq);
    expect(nodes.length).toBe(nodes0 + 2);
    expect(nodes.at(-2)!.action).toBe('teacherChange');
    expect(nodes.at(-1)!.action).toBe('distill');
    expect(s.session!.state.teacher).toMatchObject({ kind: 'http', name: 'HTTP teacher http://127.0.0.1:9/predict' });
    // Only answered images are in the split; metrics count the answered held-out images.
    const answered = [...st.answers.keys()];
    const ds = s.dataset!;
    expect(ds.split.train.length + ds.split.heldOut.length).toBe(answered.length);
    expect([...ds.split.train, ...ds.split.heldOut].every((i) => st.answers.has(i))).toBe(true);
    expect(s.metrics!.n).toBe(ds.split.heldOut.length);
    // The export describes the teacher without the key.
    const json = exportStudentJson(s);
    expect(JSON.parse(json).teacher.kind).toBe('http');
    expect(json).not.toMatch(/SECRET/);

    // A second run with a bigger budget: the cached answers are not asked again.
    await prepareHttpRun(store.getState(), { ...config, budget: 30 });
    const p2 = httpRun.getState().prepared!;
    expect(p2.cached).toBe(st.answers.size);
    expect(p2.images.some((img) => st.answers.has(img.index))).toBe(false);
    const before = asked.length;
    await startHttpRun();
    expect(asked.slice(before).some((i) => st.answers.has(i))).toBe(false);
    expect(httpRun.getState().answers.size).toBeGreaterThan(st.answers.size);
  }, 60_000);

  it('says why a project without image files cannot use it, and why a bad form is refused', async () => {
    const store = createStudioStore();
    const { dataset, ensemble } = makeSyntheticProject({ seed: 3, N: 50 });
    store.getState().commit({ type: 'load', dataset, ensemble, label: 'Load' });
    expect(httpBlocker(store.getState())).toMatch(/no image files/);
    await prepareHttpRun(store.getState(), { url: 'teacher', request: { format: 'json-base64' }, response: { kind: 'label' }, budget: 5 });
    expect(httpRun.getState().message).toEqual({ text: 'Check the settings: url must be a full http:// or https:// address.', bad: true });
  });
});
