/**
 * Fuzzing the labels CSV: any text → labels + problems, never a throw; any table of file names
 * and labels (commas, quotes, spaces inside, CRLF or LF, with or without BOM) written as CSV
 * reads back exactly; a file given two different labels is always reported.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseLabelsCsv, scanImport } from './importScan.ts';

const cellArb = fc.string({ minLength: 1, maxLength: 10, unit: fc.constantFrom('a', 'b', 'Z', '0', '.', ',', '"', ' ', '-', 'é', '\t') })
  .map((s) => s.trim()).filter((s) => s.length > 0 && !/^(file|filename|image|path|name)$/i.test(s));
const quote = (s: string) => (/[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

describe('labels CSV (fuzz)', () => {
  it('arbitrary text never throws; the preview shows the first problems', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', '\ufeff', 'x.png', '/') }), (t) => {
        const { problems } = parseLabelsCsv(t);
        const p = scanImport([{ path: 'x.png', size: 1 }], 'files', t);
        for (const q of problems.slice(0, 5)) expect(p.problems).toContain(q);
      }),
      { numRuns: 300 },
    );
  });

  it('a written table reads back exactly (quotes, commas, BOM, CRLF)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(cellArb.map((f) => f.replace(/\//g, '') || 'f'), { minLength: 1, maxLength: 8 }), fc.array(cellArb, { minLength: 8, maxLength: 8 }), fc.boolean(), fc.boolean(), fc.boolean(),
        (files, labels, header, bom, crlf) => {
          const nl = crlf ? '\r\n' : '\n';
          const rows = files.map((f, i) => `${quote(f)},${quote(labels[i])}`);
          const text = (bom ? '\ufeff' : '') + (header ? `file,label${nl}` : '') + rows.join(nl) + nl;
          const r = parseLabelsCsv(text);
          expect(r.problems).toEqual([]);
          expect([...r.labels]).toEqual(files.map((f, i) => [f, labels[i]]));
        }),
      { numRuns: 200 },
    );
  });

  it('a file listed twice with different labels is always a problem', () => {
    fc.assert(
      fc.property(cellArb, cellArb, cellArb, (f, a, b) => {
        fc.pre(a !== b && !f.includes('/'));
        const r = parseLabelsCsv(`${quote(f)},${quote(a)}\n${quote(f)},${quote(b)}\n`);
        expect(r.problems.join()).toMatch(/listed more than once/);
      }),
      { numRuns: 100 },
    );
  });
});
