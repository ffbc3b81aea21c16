/**
 * One writer per project across tabs: a Web Lock named after the project (held for as long as
 * the tab writes it) and a BroadcastChannel for the take-over handshake. The lock is advisory:
 * the generation check in projectDb is what makes a stale tab's save impossible.
 */

export interface HeldLock {
  release(): void;
}

export interface TabLocks {
  /** Hold the project's lock if nobody does; null if another tab holds it. */
  tryHold(id: string, onLost: () => void): Promise<HeldLock | null>;
  /** Take the lock from whoever holds it (their `onLost` runs). */
  steal(id: string, onLost: () => void): Promise<HeldLock>;
  /** Resolves with the lock once the tab holding it lets go; `signal` withdraws the wait. */
  waitFor(id: string, onLost: () => void, signal: AbortSignal): Promise<HeldLock | null>;
  /** Whether some tab (this one included) has the project open: holds its lock or waits for it (read-only). */
  held(id: string): Promise<boolean>;
  /** Messages between tabs of this origin about projects. */
  post(msg: TabMessage): void;
  listen(fn: (msg: TabMessage) => void): () => void;
}

export type TabMessage =
  | { type: 'takeover'; id: string; tab: string }
  | { type: 'released'; id: string; tab: string }
  | { type: 'deleted'; id: string; tab: string }
  | { type: 'who'; id: string; tab: string }
  | { type: 'mine'; id: string; tab: string };

const lockName = (id: string) => `concept-studio-project:${id}`;

type Opts = { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal };

function hold(id: string, opts: Opts, onLost: () => void): Promise<HeldLock | null> {
  return new Promise((resolve, reject) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    navigator.locks
      .request(lockName(id), opts, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        resolve({ release });
        return held;
      })
      .catch((e: unknown) => {
        // A stolen lock rejects the holder's request with AbortError; a withdrawn wait too.
        if (opts.signal?.aborted) resolve(null);
        else if ((e as { name?: string })?.name === 'AbortError') onLost();
        else reject(e);
      });
  });
}

/** The browser's locks and channel; null where the Web Locks API is missing (then only the generation fence applies). */
export function browserTabLocks(): TabLocks | null {
  if (typeof navigator === 'undefined' || !navigator.locks || typeof BroadcastChannel === 'undefined') return null;
  const ch = new BroadcastChannel('concept-studio-projects');
  const fns = new Set<(m: TabMessage) => void>();
  ch.onmessage = (e: MessageEvent) => {
    const m = e.data as TabMessage;
    if (m && typeof m === 'object' && typeof m.type === 'string' && typeof m.id === 'string') for (const f of fns) f(m);
  };
  return {
    tryHold: (id, onLost) => hold(id, { ifAvailable: true }, onLost),
    steal: async (id, onLost) => (await hold(id, { steal: true }, onLost))!,
    waitFor: (id, onLost, signal) => hold(id, { signal }, onLost),
    held: async (id) => {
      const q = await navigator.locks.query();
      return [...(q.held ?? []), ...(q.pending ?? [])].some((l) => l.name === lockName(id));
    },
    post: (m) => ch.postMessage(m),
    listen(fn) {
      fns.add(fn);
      return () => fns.delete(fn);
    },
  };
}
