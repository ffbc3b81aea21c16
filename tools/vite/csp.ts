/**
 * Content-Security-Policy of the studio (README, "Serving the built app").
 *
 * Production (vite preview, and what a real server must send):
 *  - script-src 'self' 'wasm-unsafe-eval' blob:: no inline script and no eval; WebAssembly
 *    (onnxruntime-web) needs 'wasm-unsafe-eval', which allows compiling wasm and nothing else;
 *    onnxruntime-web in the embed worker imports its wasm glue from a blob: URL it makes itself
 *    (only code already running on our origin can create one).
 *  - worker-src 'self' blob:: the embed/train workers are same-origin files; onnxruntime-web may
 *    start its threads from blob: URLs.
 *  - connect-src 'self' + the Hugging Face hub: models are served from our origin (/models/);
 *    the hub is only contacted when the user allows model downloads (clip.ts allowDownload). A
 *    deployment that never downloads drops the hub hosts; one with a teacher URL adds its origin.
 *  - img-src 'self' blob: data:: thumbnails are blob: URLs; small data: icons.
 *  - style-src 'self': the built CSS is a file; React sets `style={…}` through the CSSOM, which
 *    CSP does not restrict (only style attributes in markup and <style> elements are).
 *  - object-src 'none', base-uri 'self', form-action 'self', frame-ancestors 'none'.
 *
 * Dev (vite dev server) is looser: HMR injects <style> elements and React Refresh an inline
 * preamble script, and the HMR client talks over ws:. So dev adds 'unsafe-inline' to script-src
 * and style-src and ws: to connect-src. Never serve the dev policy.
 */
export const MODEL_HUB_ORIGINS = ['https://huggingface.co', 'https://cdn-lfs.huggingface.co', 'https://*.hf.co'];

/**
 * Origins a black-box HTTP teacher may be reached at (METHODS §8), from the TEACHER_ORIGINS
 * environment variable: origins separated by commas or spaces, e.g.
 * `TEACHER_ORIGINS="https://classifier.example.org http://127.0.0.1:5000"`. The user types the
 * teacher's URL in the studio, but a page's connect-src is fixed by whoever serves it, so the
 * server must be told which teacher origins to allow. A bad entry stops the server with its reason.
 */
export function teacherOrigins(value: string | undefined): string[] {
  const out: string[] = [];
  for (const raw of (value ?? '').split(/[\s,]+/).filter(Boolean)) {
    const m = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?\/?$/i.exec(raw);
    if (!m) throw new Error(`TEACHER_ORIGINS: "${raw}" is not an origin like https://host or http://host:port (no path, no wildcard)`);
    out.push(`${m[1].toLowerCase()}://${m[2].toLowerCase()}${m[3] ?? ''}`);
  }
  return [...new Set(out)];
}

export interface CspOptions {
  /** Allow the model hub in connect-src (default true: downloads are an opt-in feature). */
  allowModelHub?: boolean;
  /** Extra connect-src origins, e.g. a user-configured teacher URL's origin. */
  connect?: string[];
  /** The looser dev-server policy. */
  dev?: boolean;
}

export function contentSecurityPolicy(opts: CspOptions = {}): string {
  const dev = !!opts.dev;
  const connect = ["'self'", ...(opts.allowModelHub === false ? [] : MODEL_HUB_ORIGINS), ...(opts.connect ?? []), ...(dev ? ['ws:', 'wss:'] : [])];
  const directives: [string, string[]][] = [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'", "'wasm-unsafe-eval'", 'blob:', ...(dev ? ["'unsafe-inline'"] : [])]],
    ['worker-src', ["'self'", 'blob:']],
    ['connect-src', connect],
    ['img-src', ["'self'", 'blob:', 'data:']],
    ['style-src', ["'self'", ...(dev ? ["'unsafe-inline'"] : [])]],
    ['font-src', ["'self'", 'data:']],
    ['object-src', ["'none'"]],
    ['base-uri', ["'self'"]],
    ['form-action', ["'self'"]],
    ['frame-ancestors', ["'none'"]],
  ];
  return directives.map(([k, v]) => `${k} ${v.join(' ')}`).join('; ');
}

/** Every header the studio needs: cross-origin isolation (threads) + CSP. */
export function securityHeaders(opts: CspOptions = {}): Record<string, string> {
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': contentSecurityPolicy(opts),
  };
}

/**
 * Build-only fallback: the same policy as a <meta http-equiv> in dist/index.html, for hosts that
 * cannot set headers (it cannot carry frame-ancestors, which browsers ignore — and warn about —
 * in a meta tag; COOP/COEP have no meta form at all, so threads still need real headers). Not in
 * dev: the strict policy would block the React Refresh inline preamble.
 */
export function cspMeta(opts: CspOptions = {}): import('vite').Plugin {
  const policy = contentSecurityPolicy({ ...opts, dev: false }).split('; ').filter((d) => !d.startsWith('frame-ancestors')).join('; ');
  return {
    name: 'studio-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' }],
  };
}
