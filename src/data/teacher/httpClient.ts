/**
 * The HTTP teacher's client: sends images to the user's endpoint and reads the answers
 * (METHODS.md §8). Everything that touches the network is injected (`fetch`, clocks, sleep), so
 * the tests drive it with a fake fetch and fake timers.
 *
 * Guarantees:
 *  - at most `budget` requests are ever started (retries count; a request the browser blocked
 *    before sending, by the page's CSP, does not);
 *  - at most `concurrency` requests in flight, and request starts spaced 1/ratePerSecond apart;
 *  - every attempt has its own timeout (AbortController); the run's signal cancels everything;
 *  - 5xx, 429, timeouts and network failures are retried with exponential back-off and jitter
 *    (honouring Retry-After); other 4xx, malformed answers and unknown labels are not;
 *  - each answer is handed to `onAnswer` the moment it arrives (the caller stores it), so a
 *    failure or cancel later in the run loses nothing already received.
 */
import { backoffMs, expectedShape, parseAnswer, parseRetryAfter, publicUrl, retryable, type HttpTeacherConfig } from '../../core/teacher/http.ts';

export interface TeacherImage {
  /** Image index in the project. */
  index: number;
  /** What the user knows the image as (multipart file name, messages). */
  name: string;
  bytes: Uint8Array;
  /** MIME type of `bytes` (e.g. image/jpeg). */
  type: string;
}

export type FailureKind = 'timeout' | 'http' | 'network' | 'blocked' | 'malformed' | 'unknown-label' | 'budget';

export interface AskFailure {
  kind: FailureKind;
  /** HTTP status of the last attempt, when there was one. */
  status?: number;
  /** Requests this image used. */
  attempts: number;
  message: string;
}

export interface ClientDeps {
  fetch: typeof fetch;
  /** Wall clock (ms) for Retry-After dates; default Date.now. */
  now?: () => number;
  /** Uniform [0, 1) for back-off jitter; default Math.random. */
  random?: () => number;
  /** Resolves after `ms` (or rejects when `signal` aborts); default setTimeout. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Whether the page's security policy blocked a request to `origin` (a CSP violation report
   * seen since `since`). Default: never. See watchCspBlocks.
   */
  blockedByPolicy?: (origin: string) => boolean;
}

export interface RunEvents {
  onAnswer?: (img: TeacherImage, probs: Float32Array, labelOnly: boolean, attempts: number) => void | Promise<void>;
  onFailure?: (img: TeacherImage, f: AskFailure) => void;
  /** Called after every request start and every finished image. */
  onProgress?: (p: RunProgress) => void;
}

export interface RunProgress {
  /** Requests started (retries included). */
  requests: number;
  answered: number;
  failed: number;
  budgetLeft: number;
  /** Images not asked yet. */
  waiting: number;
}

export interface RunSummary extends RunProgress {
  /** Why the run stopped early: the budget, a policy block or a cancel; null = every image done. */
  stopped: null | { kind: 'budget' | 'blocked' | 'cancelled'; message: string };
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The request for one image: exactly what is sent (also shown to the user before sending). */
export function buildRequest(c: HttpTeacherConfig, img: TeacherImage): { method: 'POST'; headers: Record<string, string>; body: BodyInit } {
  const headers: Record<string, string> = {};
  for (const h of c.headers) if (h.name.trim()) headers[h.name.trim()] = h.value;
  const bytes = img.bytes.slice();
  switch (c.request.format) {
    case 'json-base64':
      headers['Content-Type'] = 'application/json';
      return { method: 'POST', headers, body: JSON.stringify({ [c.request.field]: base64(bytes) }) };
    case 'raw':
      headers['Content-Type'] = img.type;
      return { method: 'POST', headers, body: new Blob([bytes], { type: img.type }) };
    case 'multipart': {
      // The browser writes the multipart Content-Type with its boundary itself.
      const form = new FormData();
      form.append(c.request.field, new Blob([bytes], { type: img.type }), img.name);
      return { method: 'POST', headers, body: form };
    }
  }
}

class Cancelled extends Error {}

/** Sends `images` in order until done, cancelled, blocked or out of budget. */
export async function runHttpTeacher(
  c: HttpTeacherConfig,
  classes: readonly string[],
  images: readonly TeacherImage[],
  deps: ClientDeps,
  signal: AbortSignal,
  events: RunEvents = {},
): Promise<RunSummary> {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? defaultSleep;
  const origin = (() => {
    try {
      return new URL(c.url).origin;
    } catch {
      return c.url;
    }
  })();
  const where = publicUrl(c.url);
  const spacing = 1000 / c.ratePerSecond;
  let requests = 0;
  let answered = 0;
  let failed = 0;
  let next = 0;
  /** Images taken from the queue but never sent (budget or policy stopped the run first). */
  let unsent = 0;
  let nextSlot = -Infinity;
  let stopped: RunSummary['stopped'] = null;
  const progress = () => events.onProgress?.({ requests, answered, failed, budgetLeft: Math.max(0, c.budget - requests), waiting: images.length - next + unsent });
  const stop = (s: NonNullable<RunSummary['stopped']>) => {
    stopped ??= s;
  };

  /** Waits for this request's rate slot and takes one unit of budget; false when none is left. */
  async function takeSlot(): Promise<boolean> {
    if (requests >= c.budget) return false;
    requests++;
    const t = now();
    const slot = Math.max(t, nextSlot + spacing);
    nextSlot = slot;
    progress();
    if (slot > t) await sleep(slot - t, signal);
    return true;
  }

  async function attempt(img: TeacherImage): Promise<{ status: number; body: string; retryAfter: string | null } | { error: 'timeout' | 'network' | 'blocked'; detail: string }> {
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new DOMException('timeout', 'TimeoutError'));
    }, c.timeoutMs);
    try {
      const req = buildRequest(c, img);
      const res = await deps.fetch(c.url, { ...req, signal: ctrl.signal, mode: 'cors', credentials: 'omit', cache: 'no-store' });
      const body = await res.text();
      return { status: res.status, body, retryAfter: res.headers.get('Retry-After') };
    } catch (e) {
      if (signal.aborted) throw new Cancelled();
      if (timedOut) return { error: 'timeout', detail: `no answer within ${fmtSeconds(c.timeoutMs)}` };
      // A CSP block looks like any network failure to fetch; the policy's violation report
      // (delivered as an event, possibly a moment later) tells them apart.
      if (deps.blockedByPolicy) {
        // The report is queued as its own task; give it a moment to arrive.
        await sleep(50).catch(() => undefined);
        if (deps.blockedByPolicy(origin)) return { error: 'blocked', detail: (e as Error)?.message ?? String(e) };
      }
      return { error: 'network', detail: (e as Error)?.message ?? String(e) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  async function askOne(img: TeacherImage): Promise<void> {
    let attempts = 0;
    let last: AskFailure | null = null;
    /** The run stops (budget, policy) while this image waits: it fails with the reason it had, or was never sent. */
    const giveUp = (why: string) => {
      if (attempts > 0 && last) {
        failed++;
        events.onFailure?.(img, { ...last, message: `${last.message}; ${why}` });
        progress();
      } else unsent++;
    };
    for (;;) {
      if (stopped) {
        giveUp(stopped.kind === 'budget' ? 'no budget left to try again' : 'the run stopped before another try');
        return;
      }
      if (!(await takeSlot())) {
        stop({ kind: 'budget', message: `The query budget of ${c.budget} requests is used up.` });
        giveUp('no budget left to try again');
        return;
      }
      attempts++;
      const r = await attempt(img);
      if ('error' in r) {
        if (r.error === 'blocked') {
          requests--; // never left the browser
          stop({
            kind: 'blocked',
            message: `The browser blocked the request to ${origin} because of this page's Content-Security-Policy (connect-src does not list it). Nothing was sent. Whoever serves the studio must allow that address (TEACHER_ORIGINS, see README "Serving the built app").`,
          });
          unsent++;
          return;
        }
        last = r.error === 'timeout'
          ? { kind: 'timeout', attempts, message: `${where} did not answer in time (${r.detail})${attempts > 1 ? ` on any of ${attempts} tries` : ''}` }
          : { kind: 'network', attempts, message: `could not reach ${where} (${r.detail})${attempts > 1 ? ` on any of ${attempts} tries` : ''}; is the address right and does the server allow this page (CORS)?` };
        if (attempts <= c.retries) {
          await sleep(backoffMs(attempts, random()), signal);
          continue;
        }
        break;
      }
      if (r.status < 200 || r.status > 299) {
        const text = r.body.replace(/\s+/g, ' ').trim();
        last = {
          kind: 'http', status: r.status, attempts,
          message: `${where} answered HTTP ${r.status}${text ? ` (${text.length > 120 ? `${text.slice(0, 120)}…` : text})` : ''}${attempts > 1 ? ` after ${attempts} tries` : ''}${r.status === 401 || r.status === 403 ? '; check the headers (API key)' : ''}`,
        };
        if (retryable(r.status) && attempts <= c.retries) {
          await sleep(backoffMs(attempts, random(), { retryAfterMs: parseRetryAfter(r.retryAfter, now()) }), signal);
          continue;
        }
        break;
      }
      const parsed = parseAnswer(r.body, c, classes);
      if (!parsed.ok) {
        const p = parsed.problem;
        last = p.kind === 'malformed'
          ? { kind: 'malformed', attempts, message: `unusable answer: ${p.message}. Expected ${expectedShape(c, classes)}` }
          : { kind: 'unknown-label', attempts, message: p.message };
        break;
      }
      answered++;
      await events.onAnswer?.(img, parsed.probs, parsed.labelOnly, attempts);
      progress();
      return;
    }
    failed++;
    events.onFailure?.(img, last!);
    progress();
  }

  async function worker(): Promise<void> {
    while (!stopped && next < images.length) {
      if (signal.aborted) throw new Cancelled();
      const img = images[next++];
      await askOne(img);
    }
  }

  // allSettled: every worker has finished (no answer can arrive after this returns).
  const results = await Promise.allSettled(Array.from({ length: Math.min(c.concurrency, images.length) }, worker));
  for (const r of results) if (r.status === 'rejected' && !(r.reason instanceof Cancelled) && !signal.aborted) throw r.reason;
  if (signal.aborted) stop({ kind: 'cancelled', message: 'Cancelled. Answers already received are kept.' });
  progress();
  return { requests, answered, failed, budgetLeft: Math.max(0, c.budget - requests), waiting: images.length - next + unsent, stopped };
}

function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Notices Content-Security-Policy violations for connect-src (the only way a page learns that
 * its own policy, not the network, stopped a fetch). Returns the check runHttpTeacher takes and
 * a function to stop listening. Outside a document (Node tests) it never reports a block.
 */
export function watchCspBlocks(): { blockedByPolicy: (origin: string) => boolean; stop: () => void } {
  const target = (globalThis as { document?: EventTarget }).document;
  if (!target) return { blockedByPolicy: () => false, stop: () => undefined };
  const blocked = new Set<string>();
  const on = (e: Event) => {
    const v = e as SecurityPolicyViolationEvent;
    if (!/^connect-src/.test(v.effectiveDirective || v.violatedDirective || '')) return;
    try {
      blocked.add(new URL(v.blockedURI).origin);
    } catch {
      /* 'inline' and the like: not a fetch */
    }
  };
  target.addEventListener('securitypolicyviolation', on);
  return { blockedByPolicy: (origin) => blocked.has(origin), stop: () => target.removeEventListener('securitypolicyviolation', on) };
}

/** SHA-256 of bytes as 64 hex digits (WebCrypto; Node 20 and every browser have it). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()));
  let s = '';
  for (const b of d) s += b.toString(16).padStart(2, '0');
  return s;
}
