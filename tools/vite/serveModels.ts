import { createReadStream, existsSync, statSync, cpSync } from 'node:fs';
import { resolve, normalize, sep, join, extname } from 'node:path';
import type { Plugin, Connect } from 'vite';

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
};

/**
 * Serves the top-level `models/` folder at `/models/` in dev and preview, and copies it into the
 * build. A missing file is a real 404: Vite's SPA fallback would otherwise answer index.html with
 * status 200, which transformers.js then fails to parse as JSON (see shared/BROWSER-ML.md §2.3).
 */
export function serveModels(root: string): Plugin {
  const dir = resolve(root, 'models');
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const url = (req.url ?? '').split('?')[0];
    if (!url.startsWith('/models/')) return next();
    let rel: string;
    try {
      rel = decodeURIComponent(url.slice('/models/'.length));
    } catch {
      res.statusCode = 400;
      return res.end('bad path');
    }
    const file = normalize(join(dir, rel));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      return res.end(`not found: ${url}`);
    }
    res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    createReadStream(file).pipe(res);
  };
  return {
    name: 'concept-studio:serve-models',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    writeBundle(options) {
      if (existsSync(dir) && options.dir) cpSync(dir, join(options.dir, 'models'), { recursive: true });
    },
  };
}
