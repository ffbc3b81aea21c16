/**
 * User-provided text (file names, class and concept names, CSV cells, JSON strings) reaches the
 * page only as text: React escapes it, so nothing in src/ may bypass that — no
 * dangerouslySetInnerHTML, innerHTML/outerHTML assignments, insertAdjacentHTML or document.write.
 * Also: the CSP itself stays strict (tools/vite/csp.ts).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { contentSecurityPolicy } from '../../tools/vite/csp.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(tsx?|jsx?|html)$/.test(n) ? [p] : [];
  });
}

describe('user text is rendered as text', () => {
  it('no HTML-injection sinks anywhere in src/ or index.html', () => {
    const sinks = /dangerouslySetInnerHTML|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write\(|createContextualFragment/;
    const hits = [...files(resolve(ROOT, 'src')), resolve(ROOT, 'index.html')]
      .filter((f) => !/\.test\.tsx?$/.test(f))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => [f, i + 1, line] as const))
      .filter(([, , line]) => sinks.test(line))
      .map(([f, n, line]) => `${relative(ROOT, f)}:${n}: ${line.trim()}`);
    expect(hits).toEqual([]);
  });

  it('index.html has no inline script or style (the CSP forbids them)', () => {
    const html = readFileSync(resolve(ROOT, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('the production policy has no unsafe-inline script, no eval, and locks connect/object/base', () => {
    const p = Object.fromEntries(contentSecurityPolicy().split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(p['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'", 'blob:']);
    expect(p['style-src']).toEqual(["'self'"]);
    expect(p['object-src']).toEqual(["'none'"]);
    expect(p['connect-src'][0]).toBe("'self'");
    expect(contentSecurityPolicy({ allowModelHub: false })).toMatch(/connect-src 'self';/);
    expect(contentSecurityPolicy({ allowModelHub: false, connect: ['https://teacher.example'] })).toMatch(/connect-src 'self' https:\/\/teacher\.example;/);
  });

  it('README "Serving the built app" gives servers the same policy as vite preview', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Serving the built app'));
    expect(section).toContain(`add_header Content-Security-Policy "${contentSecurityPolicy()}" always;`);
  });
});
