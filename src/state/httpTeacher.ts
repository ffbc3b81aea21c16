/**
 * The black-box (HTTP) teacher in the studio (METHODS.md §3 source 4, §8): prepare a run (read
 * and hash the project's images, look up cached answers, plan which images to ask), wait for
 * the user's confirmation, run it (data/teacher/httpClient), store each answer as it arrives
 * (data/teacher/answerStore), and make the answers the project's teacher — a recorded
 * 'teacherChange' step — followed by a distillation on the answered images only.
 *
 * Run state (form result, progress, failures) is UI state: it lives in its own small store here
 * and is never recorded. What changes the student goes through the studio's `commit`.
 */
import { createStore } from 'zustand/vanilla';
import { describeHttpTeacher, endpointIdentity, endpointOrigin, logitMargins, parseHttpTeacherConfig, planQueries, publicUrl, teacherFromAnswers, type HttpTeacherConfig, type TeacherAnswer } from '../core/teacher/http.ts';
import { argmaxRows } from '../core/math/linalg.ts';
import { getAnswers, loadTeacherSettings, putAnswer, saveTeacherSettings } from '../data/teacher/answerStore.ts';
import { runHttpTeacher, sha256Hex, watchCspBlocks, type FailureKind, type RunSummary, type TeacherImage } from '../data/teacher/httpClient.ts';
import { boxAt, liveFor, plainMetrics, studioMetrics } from './project.ts';
import type { StudioState } from './store.ts';
import type { Dataset } from './types.ts';

export interface PreparedRun {
  config: HttpTeacherConfig;
  /** SHA-256 of the endpoint identity: the answer cache's teacher key. */
  teacherKey: string;
  classes: string[];
  /** The images in the order they will be asked. */
  images: TeacherImage[];
  /** Of those, how many are held-out images (fidelity is measured on their answers). */
  heldOut: number;
  bytes: number;
  /** Answers already in the cache for this dataset (never asked again). */
  cached: number;
  /** Images of the project the teacher could still be asked about. */
  remaining: number;
  order: 'uncertain-first' | 'random';
  /** Why the order is random although uncertain-first was asked for (no student yet), or null. */
  orderNote: string | null;
}

export interface RunFailure {
  image: string;
  kind: FailureKind;
  message: string;
}

export interface HttpRunState {
  phase: 'idle' | 'preparing' | 'confirm' | 'running' | 'finished';
  /** The latest plain-language message about the run, and whether it is a problem. */
  message: { text: string; bad: boolean } | null;
  prepared: PreparedRun | null;
  progress: { requests: number; answered: number; failed: number; budgetLeft: number; waiting: number };
  failures: RunFailure[];
  stopped: RunSummary['stopped'];
  /** Answers for the current dataset and teacher, by image index (cached + new). */
  answers: Map<number, TeacherAnswer>;
  /** Which dataset the answers belong to (name + size); a different project drops them. */
  datasetKey: string | null;
}

const idle = (): HttpRunState => ({
  phase: 'idle', message: null, prepared: null,
  progress: { requests: 0, answered: 0, failed: 0, budgetLeft: 0, waiting: 0 },
  failures: [], stopped: null, answers: new Map(), datasetKey: null,
});

export const httpRun = createStore<HttpRunState>()(() => idle());

const datasetKey = (ds: Dataset) => `${ds.name}|${ds.N}|${ds.classes.join(',')}`;
let controller: AbortController | null = null;

/** Injected by tests; the browser's fetch otherwise. */
let fetchImpl: typeof fetch = (...a) => globalThis.fetch(...a);
export function setTeacherFetch(f: typeof fetch): void {
  fetchImpl = f;
}

const MIME: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', bmp: 'image/bmp', webp: 'image/webp' };

/** Why the project's images cannot be sent, or null. */
export function httpBlocker(s: StudioState): string | null {
  const ds = s.dataset;
  if (!ds) return 'Open a project first.';
  if (!ds.thumbs || ds.source.kind === 'synthetic') return 'This project has no image files the studio could send (a synthetic project has only numbers). Open the demo or a project with images.';
  // Imported projects keep small thumbnails (blob: URLs), not the original files: sending those
  // would ask the teacher about different pictures than the user imported.
  if (ds.thumbs.some((u) => /^(blob|data):/.test(u))) return 'The studio keeps only thumbnails of imported images, not the original files, so it cannot send them to a web service yet. The demo project can be used.';
  return null;
}

/** Reads the form, the images and the cache; plans the run. Nothing is sent. */
export async function prepareHttpRun(s: StudioState, input: unknown): Promise<void> {
  const set = httpRun.setState;
  let config: HttpTeacherConfig;
  try {
    config = parseHttpTeacherConfig(input);
  } catch (e) {
    set({ phase: 'idle', message: { text: `Check the settings: ${(e as Error).message}.`, bad: true } });
    return;
  }
  const why = httpBlocker(s);
  if (why) {
    set({ phase: 'idle', message: { text: why, bad: true } });
    return;
  }
  const ds = s.dataset!;
  set({ phase: 'preparing', message: { text: `Reading ${ds.N.toLocaleString('en')} images and checking which ones the teacher already answered…`, bad: false } });
  try {
    const base = ds.httpTeacher?.baseSplit ?? ds.split;
    // Only images in the split can be used, so only they are read.
    const wanted = [...Array.from(base.train), ...Array.from(base.heldOut)];
    const files = new Map<number, TeacherImage & { hash: string }>();
    for (let k = 0; k < wanted.length; k += 16) {
      await Promise.all(wanted.slice(k, k + 16).map(async (i) => {
        const url = ds.thumbs![i];
        const res = await fetchImpl(url);
        if (!res.ok) throw new Error(`image ${ds.imageNames[i]} (${url}) could not be read: HTTP ${res.status}`);
        const bytes = new Uint8Array(await res.arrayBuffer());
        const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase() ?? '';
        const name = url.split('/').pop()?.split(/[?#]/)[0] || ds.imageNames[i];
        files.set(i, { index: i, name, bytes, type: res.headers.get('Content-Type')?.split(';')[0] || MIME[ext] || 'application/octet-stream', hash: await sha256Hex(bytes) });
      }));
    }
    const teacherKey = await sha256Hex(new TextEncoder().encode(endpointIdentity(config, ds.classes)));
    const stored = await getAnswers(teacherKey, [...files.values()].map((f) => f.hash));
    const key = datasetKey(ds);
    const answers = new Map<number, TeacherAnswer>();
    for (const [i, f] of files) {
      const a = stored.get(f.hash);
      if (a && a.probs.length === ds.C) answers.set(i, { probs: a.probs, labelOnly: a.labelOnly });
    }
    let order = config.order;
    let orderNote: string | null = null;
    let margins: Float64Array | undefined;
    if (order === 'uncertain-first') {
      const live = s.live;
      if (live && live.N === ds.N) margins = logitMargins(ds.N, ds.C, (i, c) => live.logit(i, c));
      else {
        order = 'random';
        orderNote = 'There is no student yet, so images are asked in random order.';
      }
    }
    const plan = planQueries({ train: base.train, heldOut: base.heldOut, answered: (i) => answers.has(i), budget: config.budget, order, ...(margins ? { margins } : {}) });
    const heldSet = new Set(Array.from(base.heldOut));
    const images = plan.map((i) => files.get(i)!);
    set({
      phase: 'confirm', message: null,
      prepared: {
        config, teacherKey, classes: ds.classes, images, heldOut: plan.filter((i) => heldSet.has(i)).length,
        bytes: images.reduce((n, f) => n + f.bytes.length, 0), cached: answers.size, remaining: files.size - answers.size, order, orderNote,
      },
      answers, datasetKey: key, failures: [], stopped: null,
      progress: { requests: 0, answered: 0, failed: 0, budgetLeft: config.budget, waiting: images.length },
    });
  } catch (e) {
    set({ phase: 'idle', message: { text: `Could not prepare: ${(e as Error).message}`, bad: true } });
  }
}

/** The user said no: back to the form, nothing sent. */
export function dismissHttpRun(): void {
  httpRun.setState({ phase: 'idle', message: { text: 'Nothing was sent.', bad: false } });
}

/** Sends the prepared images (after the user confirmed). */
export async function startHttpRun(): Promise<void> {
  const st = httpRun.getState();
  const p = st.prepared;
  if (!p || st.phase !== 'confirm') return;
  if (!p.images.length) {
    httpRun.setState({ phase: 'finished', message: { text: 'Nothing to ask: every image already has an answer.', bad: false } });
    return;
  }
  controller = new AbortController();
  const csp = watchCspBlocks();
  const set = httpRun.setState;
  set({ phase: 'running', message: { text: `Asking ${publicUrl(p.config.url)} about ${p.images.length} images…`, bad: false } });
  const failures: RunFailure[] = [];
  try {
    const summary = await runHttpTeacher(p.config, p.classes, p.images, { fetch: fetchImpl, blockedByPolicy: csp.blockedByPolicy }, controller.signal, {
      onAnswer: async (img, probs, labelOnly) => {
        const hash = (img as TeacherImage & { hash?: string }).hash ?? (await sha256Hex(img.bytes));
        // Stored first: an answer the tab has shown is an answer the next session still has.
        await putAnswer(p.teacherKey, hash, { probs, labelOnly, at: Date.now() }).catch(() => undefined);
        const answers = new Map(httpRun.getState().answers);
        answers.set(img.index, { probs, labelOnly });
        set({ answers });
      },
      onFailure: (img, f) => {
        failures.push({ image: img.name, kind: f.kind, message: f.message });
        set({ failures: failures.slice(-200) });
      },
      onProgress: (pr) => set({ progress: pr }),
    });
    const a = summary.answered;
    const parts = [`${a} answer${a === 1 ? '' : 's'} received`, `${summary.failed} failed`, `${summary.requests} requests sent`, `${summary.budgetLeft} left in the budget`];
    set({
      phase: 'finished', stopped: summary.stopped,
      message: { text: `${summary.stopped ? `${summary.stopped.message} ` : 'Done. '}${parts.join(', ')}.`, bad: summary.stopped?.kind === 'blocked' || (a === 0 && summary.failed > 0) },
    });
  } catch (e) {
    set({ phase: 'finished', message: { text: `The run stopped: ${(e as Error).message}. Answers already received are kept.`, bad: true } });
  } finally {
    csp.stop();
    controller = null;
  }
}

export function cancelHttpRun(): void {
  controller?.abort(new DOMException('cancelled', 'AbortError'));
}

/**
 * Makes the answers the project's teacher (one recorded 'teacherChange' step; the current
 * student is kept and re-measured against the new teacher), then distils on the answered images.
 */
export async function applyHttpAnswers(s: StudioState): Promise<void> {
  const st = httpRun.getState();
  const ds = s.dataset;
  const session = s.session;
  const p = st.prepared;
  if (!ds || !session || !p) return;
  if (st.datasetKey !== datasetKey(ds)) {
    httpRun.setState({ message: { text: 'These answers belong to another project; check the cache again.', bad: true } });
    return;
  }
  const baseSplit = ds.httpTeacher?.baseSplit ?? ds.split;
  const baseTeacher = ds.httpTeacher?.baseTeacher ?? ds.teacher;
  let built: ReturnType<typeof teacherFromAnswers>;
  try {
    built = teacherFromAnswers(baseTeacher, baseSplit, st.answers);
  } catch (e) {
    httpRun.setState({ message: { text: `Cannot use the answers yet: ${(e as Error).message}.`, bad: true } });
    return;
  }
  const isTest = new Uint8Array(ds.N);
  for (const i of built.split.heldOut) isTest[i] = 1;
  const info = describeHttpTeacher(p.config, st.answers.size, ds.N, built.labelOnly);
  const dataset: Dataset = {
    ...ds, teacher: built.teacher, teacherPred: argmaxRows(built.teacher), split: built.split, isTest,
    teacherDescription: info.name,
    httpTeacher: { answered: built.answered, baseSplit, baseTeacher },
  };
  // The student as it is, measured against the new teacher on the answered held-out images.
  const ens = session.state.ensemble;
  const metricsAfter = ens ? plainMetrics(studioMetrics(dataset, liveFor(dataset, ens.served).pred)) : undefined;
  s.commit({
    type: 'refit', dataset, box: boxAt(session, s.boxes, session.history.head, ds.C, ds.M),
    actions: [{ type: 'teacherChange', teacher: { kind: 'http', name: info.name, description: info.description }, ...(metricsAfter ? { metricsAfter } : {}) }],
  });
  httpRun.setState({ message: { text: `The teacher is now ${publicUrl(p.config.url)} (${st.answers.size} answers). Distilling on the answered images…`, bad: false } });
  await s.distill();
}

/** The origin the page's policy must allow (shown in the form). */
export const teacherOrigin = endpointOrigin;

/** The form as the user left it, WITHOUT header values (secrets stay in the tab that typed them). */
export async function saveHttpForm(form: Record<string, unknown> & { headers?: string }): Promise<void> {
  const headers = (form.headers ?? '').split('\n').map((l) => l.split(':')[0].trim()).filter(Boolean).map((n) => `${n}: `).join('\n');
  await saveTeacherSettings({ ...form, headers }).catch(() => undefined);
}

export async function loadHttpForm(): Promise<Record<string, unknown> | null> {
  const v = await loadTeacherSettings().catch(() => null);
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
}
