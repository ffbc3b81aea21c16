/**
 * A mock black-box teacher: an HTTP server on 127.0.0.1 (node:http) that takes an image the way
 * the studio sends it (JSON {"image": base64}, a multipart upload, or the raw bytes) and answers
 * with whatever `reply` decides for those bytes. CORS is answered for any origin (preflight
 * included), as a real teacher serving a browser app must. Used by tests/e2e/httpTeacher.test.ts
 * and tools/demo/blackbox.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export type MockReply =
  | { status?: number; json?: unknown; text?: string; headers?: Record<string, string> }
  /** Never answer (the studio's timeout must fire). */
  | 'hang';

export interface MockTeacher {
  url: string;
  origin: string;
  /** Requests received per path (preflights not counted). */
  requests: { path: string; sha256: string }[];
  close(): Promise<void>;
}

function cors(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
  // The studio is cross-origin isolated (COEP require-corp); a CORS fetch needs no CORP, but say it anyway.
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** The image bytes of a request in any of the studio's three formats. */
export function imageOf(req: IncomingMessage, raw: Buffer): Buffer {
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) {
    const j = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    const v = Object.values(j).find((x) => typeof x === 'string') as string;
    return Buffer.from(v, 'base64');
  }
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
  if (type.startsWith('multipart/form-data') && m) {
    const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
    const start = raw.indexOf(boundary);
    const headEnd = raw.indexOf('\r\n\r\n', start);
    const end = raw.indexOf(boundary, headEnd);
    return raw.subarray(headEnd + 4, end - 2);
  }
  return raw;
}

export async function startMockTeacher(reply: (path: string, image: Buffer, sha256: string) => MockReply | Promise<MockReply>): Promise<MockTeacher> {
  const requests: MockTeacher['requests'] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer(async (req, res) => {
    cors(res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    try {
      const raw = await body(req);
      const img = imageOf(req, raw);
      const sha = createHash('sha256').update(img).digest('hex');
      const path = (req.url ?? '/').split('?')[0];
      requests.push({ path, sha256: sha });
      const r = await reply(path, img, sha);
      if (r === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(r.status ?? 200, { 'Content-Type': r.json !== undefined ? 'application/json' : 'text/plain', ...r.headers });
      res.end(r.json !== undefined ? JSON.stringify(r.json) : (r.text ?? ''));
    } catch (e) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`mock teacher: ${(e as Error).message}`);
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/predict`,
    origin,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The demo's teacher as a lookup from image content (SHA-256 of the file) to its probabilities:
 * the rows `npm run demo:prepare` computed with models/demo-teacher through the studio's Node
 * teacher path (public/demo/cache), keyed by the demo's image files.
 */
export function demoTeacherLookup(meta: { urls: string[]; classes: string[] }, teacher: { cols: number; data: Float32Array }, root: string): Map<string, { index: number; probs: Float32Array }> {
  const out = new Map<string, { index: number; probs: Float32Array }>();
  meta.urls.forEach((u, i) => {
    const bytes = readFileSync(join(root, 'public', u.replace(/^\//, '')));
    const sha = createHash('sha256').update(bytes).digest('hex');
    out.set(sha, { index: i, probs: teacher.data.slice(i * teacher.cols, (i + 1) * teacher.cols) });
  });
  return out;
}
