import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseHttpTeacherConfig, type HttpTeacherConfigInput } from '../../core/teacher/http.ts';
import { buildRequest, runHttpTeacher, sha256Hex, type AskFailure, type TeacherImage } from './httpClient.ts';
import { clearAnswers, getAnswers, putAnswer } from './answerStore.ts';

const classes = ['ok', 'scratched', 'rusty'];
const cfg = (over: Partial<HttpTeacherConfigInput> = {}) =>
  parseHttpTeacherConfig({ url: 'http://127.0.0.1:9/predict', request: { format: 'json-base64' }, response: { kind: 'label', path: 'label' }, budget: 100, ratePerSecond: 1000, concurrency: 1, retries: 3, timeoutMs: 1000, ...over });
const images: TeacherImage[] = Array.from({ length: 5 }, (_, i) => ({ index: i, name: `img${i}.jpg`, bytes: Uint8Array.from([i, 1, 2]), type: 'image/jpeg' }));

type Reply = { status?: number; body?: string; headers?: Record<string, string> } | 'network' | 'hang';
/** A fake fetch: `reply(imageIndex, attempt)` decides; every call is logged with its time. */
function fakeFetch(reply: (img: number, attempt: number) => Reply) {
  const calls: { img: number; at: number; init: RequestInit }[] = [];
  const tries = new Map<number, number>();
  const f = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
    const img = (JSON.parse(init!.body as string) as { image: string }).image;
    const i = Uint8Array.from(atob(img), (ch) => ch.charCodeAt(0))[0];
    const n = (tries.get(i) ?? 0) + 1;
    tries.set(i, n);
    calls.push({ img: i, at: Date.now(), init: init! });
    const r = reply(i, n);
    if (r === 'network') throw new TypeError('Failed to fetch');
    if (r === 'hang') {
      return new Promise<Response>((_, reject) => init!.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    return new Response(r.body ?? '', { status: r.status ?? 200, headers: r.headers });
  });
  return { fetch: f as unknown as typeof fetch, calls };
}

const run = (c: ReturnType<typeof cfg>, f: typeof fetch, signal = new AbortController().signal) => {
  const answers: { i: number; probs: number[] }[] = [];
  const failures: { i: number; f: AskFailure }[] = [];
  const p = runHttpTeacher(c, classes, images, { fetch: f, random: () => 1 }, signal, {
    onAnswer: (img, probs) => void answers.push({ i: img.index, probs: Array.from(probs) }),
    onFailure: (img, fl) => void failures.push({ i: img.index, f: fl }),
  });
  return { p, answers, failures };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('HTTP teacher client (fake fetch)', () => {
  it('sends the configured request and reads label answers as one-hot', async () => {
    const { fetch, calls } = fakeFetch((i) => ({ body: JSON.stringify({ label: classes[i % 3] }) }));
    const r = run(cfg({ headers: [{ name: 'X-Api-Key', value: 'k' }] }), fetch);
    const s = await r.p;
    expect(s).toMatchObject({ requests: 5, answered: 5, failed: 0, budgetLeft: 95, waiting: 0, stopped: null });
    expect(r.answers.map((a) => a.i)).toEqual([0, 1, 2, 3, 4]);
    expect(r.answers[1].probs).toEqual([0, 1, 0]);
    const h = calls[0].init.headers as Record<string, string>;
    expect(h).toEqual({ 'X-Api-Key': 'k', 'Content-Type': 'application/json' });
    expect(calls[0].init.method).toBe('POST');
  });

  it('multipart and raw requests carry the image bytes', async () => {
    const img = images[3];
    const m = buildRequest(cfg({ request: { format: 'multipart', field: 'file' } }), img);
    const part = (m.body as FormData).get('file') as File;
    expect(part.name).toBe('img3.jpg');
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(img.bytes);
    const raw = buildRequest(cfg({ request: { format: 'raw' } }), img);
    expect(raw.headers['Content-Type']).toBe('image/jpeg');
    expect(new Uint8Array(await (raw.body as Blob).arrayBuffer())).toEqual(img.bytes);
  });

  it('honours the budget exactly, retries included', async () => {
    // Image 1 fails twice with 503 before answering: 5 images need 6 requests; the budget is 4,
    // so images 2, 3 and 4 are never sent.
    const { fetch, calls } = fakeFetch((i, n) => (i === 1 && n <= 2 ? { status: 503 } : { body: '{"label": "ok"}' }));
    vi.useFakeTimers();
    const r = run(cfg({ budget: 4 }), fetch);
    await vi.runAllTimersAsync();
    const s = await r.p;
    expect(calls).toHaveLength(4);
    expect(s).toMatchObject({ requests: 4, answered: 2, failed: 0, budgetLeft: 0, waiting: 3 });
    expect(s.stopped?.kind).toBe('budget');
    expect(s.stopped?.message).toMatch(/budget of 4 requests is used up/);
  });

  it('an image waiting to retry when another request uses up the budget is counted as failed, with the reason', async () => {
    vi.useFakeTimers({ now: 0 });
    // Image 0 gets a 500 and waits 500 ms to retry; meanwhile images 1 and 2 use the rest of the budget.
    const { fetch, calls } = fakeFetch((i, n) => (i === 0 && n === 1 ? { status: 500 } : { body: '{"label": "ok"}' }));
    const r = run(cfg({ budget: 3, concurrency: 2 }), fetch);
    await vi.runAllTimersAsync();
    const s = await r.p;
    expect(calls.map((c) => c.img)).toEqual([0, 1, 2]);
    expect(s).toMatchObject({ requests: 3, answered: 2, failed: 1, budgetLeft: 0, waiting: 2 });
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0].f.message).toMatch(/answered HTTP 500; no budget left to try again$/);
  });

  it('retries 5xx, 429 and network failures with exponential back-off; never 4xx', async () => {
    vi.useFakeTimers({ now: 0 });
    const { fetch, calls } = fakeFetch((i, n) => {
      if (i === 0) return n <= 3 ? { status: 500, body: 'boom' } : { body: '{"label": "rusty"}' };
      if (i === 1) return n === 1 ? { status: 429, headers: { 'Retry-After': '7' } } : { body: '{"label": "ok"}' };
      if (i === 2) return n === 1 ? 'network' : { body: '{"label": "ok"}' };
      if (i === 3) return { status: 404, body: 'no such route' };
      return { status: 500, body: 'still broken' };
    });
    const r = run(cfg({ retries: 3 }), fetch);
    await vi.runAllTimersAsync();
    const s = await r.p;
    // Image 0: tries at 0, 500, 1500, 3500 ms (base 500 ms doubling, jitter at its top).
    const t0 = calls.filter((c) => c.img === 0).map((c) => c.at);
    expect(t0.map((t) => t - t0[0])).toEqual([0, 500, 1500, 3500]);
    // Image 1: Retry-After 7 s beats the 500 ms back-off.
    const t1 = calls.filter((c) => c.img === 1).map((c) => c.at);
    expect(t1[1] - t1[0]).toBe(7000);
    expect(calls.filter((c) => c.img === 2)).toHaveLength(2);
    expect(calls.filter((c) => c.img === 3)).toHaveLength(1);
    expect(calls.filter((c) => c.img === 4)).toHaveLength(4);
    expect(s).toMatchObject({ answered: 3, failed: 2 });
    const f3 = r.failures.find((x) => x.i === 3)!.f;
    expect(f3).toMatchObject({ kind: 'http', status: 404, attempts: 1 });
    expect(f3.message).toMatch(/answered HTTP 404 \(no such route\)/);
    expect(r.failures.find((x) => x.i === 4)!.f.message).toMatch(/HTTP 500 \(still broken\) after 4 tries/);
  });

  it('times out each attempt with its own AbortController and says so', async () => {
    vi.useFakeTimers();
    const { fetch, calls } = fakeFetch((i) => (i === 2 ? 'hang' : { body: '{"label": "ok"}' }));
    const r = run(cfg({ retries: 1, timeoutMs: 2000 }), fetch);
    await vi.runAllTimersAsync();
    const s = await r.p;
    expect(calls.filter((c) => c.img === 2)).toHaveLength(2);
    expect(s).toMatchObject({ answered: 4, failed: 1 });
    expect(r.failures[0].f).toMatchObject({ kind: 'timeout', attempts: 2 });
    expect(r.failures[0].f.message).toMatch(/did not answer in time \(no answer within 2 s\) on any of 2 tries/);
  });

  it('malformed JSON and unknown labels fail at once with what was expected', async () => {
    const { fetch, calls } = fakeFetch((i) => (i === 0 ? { body: 'not json' } : i === 1 ? { body: '{"label": "dented"}' } : { body: '{"label": "ok"}' }));
    const r = run(cfg(), fetch);
    await r.p;
    expect(calls).toHaveLength(5);
    expect(r.failures.map((x) => x.f.kind)).toEqual(['malformed', 'unknown-label']);
    expect(r.failures[0].f.message).toMatch(/not JSON.*Expected JSON with, at "label", one class name as a string \(one of: ok, scratched, rusty\)/);
    expect(r.failures[1].f.message).toMatch(/"dented", which is not one of this project's classes/);
  });

  it('rate limit spaces request starts; concurrency caps requests in flight', async () => {
    vi.useFakeTimers({ now: 0 });
    let inFlight = 0;
    let most = 0;
    const starts: number[] = [];
    const f = (async () => {
      starts.push(Date.now());
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((res) => setTimeout(res, 1000));
      inFlight--;
      return new Response('{"label": "ok"}');
    }) as unknown as typeof fetch;
    const r = runHttpTeacher(cfg({ ratePerSecond: 4, concurrency: 2 }), classes, images, { fetch: f }, new AbortController().signal);
    await vi.runAllTimersAsync();
    await r;
    expect(most).toBe(2);
    for (let k = 1; k < starts.length; k++) expect(starts[k] - starts[k - 1]).toBeGreaterThanOrEqual(250);
    expect(starts[1]).toBe(250);
  });

  it('cancel stops at once and keeps the answers already received', async () => {
    vi.useFakeTimers();
    const ctrl = new AbortController();
    const { fetch } = fakeFetch((i) => (i >= 2 ? 'hang' : { body: '{"label": "ok"}' }));
    const r = run(cfg({ timeoutMs: 60_000 }), fetch, ctrl.signal);
    await vi.advanceTimersByTimeAsync(10);
    ctrl.abort();
    const s = await r.p;
    expect(s.stopped?.kind).toBe('cancelled');
    expect(r.answers.map((a) => a.i)).toEqual([0, 1]);
    expect(r.failures).toEqual([]);
  });

  it('a request the page policy blocked is not retried, not counted, and stops the run with the reason', async () => {
    const { fetch, calls } = fakeFetch(() => 'network');
    const s = await runHttpTeacher(cfg(), classes, images, { fetch, blockedByPolicy: (o) => o === 'http://127.0.0.1:9' }, new AbortController().signal);
    expect(calls).toHaveLength(1);
    expect(s).toMatchObject({ requests: 0, failed: 0, waiting: 5 });
    expect(s.stopped?.kind).toBe('blocked');
    expect(s.stopped?.message).toMatch(/blocked the request to http:\/\/127\.0\.0\.1:9 because of this page's Content-Security-Policy.*TEACHER_ORIGINS/);
  });
});

describe('answer cache (IndexedDB)', () => {
  it('keeps answers per teacher and image hash; a cached image is never asked again', async () => {
    const h = await sha256Hex(Uint8Array.from([1, 2, 3]));
    expect(h).toBe('039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81');
    await putAnswer('t1', h, { probs: Float32Array.from([0, 1, 0]), labelOnly: true, at: 1 });
    const got = await getAnswers('t1', [h, 'other']);
    expect(got.size).toBe(1);
    expect(Array.from(got.get(h)!.probs)).toEqual([0, 1, 0]);
    expect((await getAnswers('t2', [h])).size).toBe(0);
    expect(await clearAnswers('t1')).toBe(1);
    expect((await getAnswers('t1', [h])).size).toBe(0);
  });
});
