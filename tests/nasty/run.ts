/**
 * Runs one nasty input through its importer (tests/nasty/cases.json, written by
 * tools/fixtures/makeNasty.ts) and classifies the answer:
 *  - refused cleanly: the importer's own refusal (error type or { ok: false }) with a message
 *    matching the case's `refuse` pattern, and — where a project is open — nothing changed;
 *  - accepted: for inputs that are awkward but valid (BOM, CRLF, quotes);
 *  - anything else (another exception, a vague message, a changed project) is a failure.
 * Shared by tests/nasty/nasty.test.ts and `npm run nasty:report`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseNpy, NpyError } from '../../src/core/io/npy.ts';
import { decodeImage, ImageDecodeError } from '../../src/data/images/index.ts';
import { importStudentJson } from '../../src/state/exportStudent.ts';
import { importProjectZip } from '../../src/state/projectZip.ts';
import { parseLabelsCsv, scanImport } from '../../src/state/importScan.ts';
import { parseDemoLabels } from '../../src/state/demoProject.ts';
import { parseTeacherDescription, TeacherLoadError } from '../../src/ml/teacher.ts';
import { parseDemoCacheManifest, DemoCacheError } from '../../src/data/demo/cache.ts';
import { readEmbeddingImport } from '../../src/data/project/embeddingImport.ts';
import { smallStore, NASTY, type NastyCase } from '../../tools/fixtures/makeNasty.ts';

export { NASTY };
export type { NastyCase };

export function loadCases(): NastyCase[] {
  return JSON.parse(readFileSync(resolve(NASTY, 'cases.json'), 'utf8'));
}

export type Outcome =
  | { kind: 'refused'; message: string; unchanged: boolean }
  | { kind: 'accepted'; detail?: string }
  | { kind: 'threw'; message: string };

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const threw = (e: unknown): Outcome => ({ kind: 'threw', message: `${(e as Error)?.name}: ${(e as Error)?.message ?? e}` });
const own = (e: unknown, type: abstract new (...a: never[]) => Error): Outcome =>
  e instanceof type ? { kind: 'refused', message: e.message, unchanged: true } : threw(e);

/** The importer's answer: its own refusal → 'refused'; any other throw → 'threw'. */
export async function runImporter(importer: string, bytes: Uint8Array, name: string, companions: { name: string; bytes: Uint8Array }[] = []): Promise<Outcome> {
  switch (importer) {
    case 'embeddings': {
      // Several files at once: the case's file plus its good companions. Refusals come back as { ok: false }.
      try {
        const r = await readEmbeddingImport([{ name, bytes }, ...companions], { parseLabels: parseLabelsCsv });
        return r.ok ? { kind: 'accepted', detail: `${r.value.N}×${r.value.R}×${r.value.D}` } : { kind: 'refused', message: r.problems.join(' | '), unchanged: true };
      } catch (e) {
        return threw(e);
      }
    }
    case 'image':
      try { await decodeImage(bytes, name); return { kind: 'accepted' }; } catch (e) { return own(e, ImageDecodeError); }
    case 'npy':
      try { parseNpy(bytes, name); return { kind: 'accepted' }; } catch (e) { return own(e, NpyError); }
    case 'teacher':
      try { parseTeacherDescription(text(bytes)); return { kind: 'accepted' }; } catch (e) { return own(e, TeacherLoadError); }
    case 'demoCache':
      try { parseDemoCacheManifest(text(bytes)); return { kind: 'accepted' }; } catch (e) { return own(e, DemoCacheError); }
    case 'demoLabelsCsv':
      // Its refusals are plain Errors whose message starts with "labels.csv".
      try {
        const r = parseDemoLabels(text(bytes), ['ok', 'rusty'], '/demo/');
        return { kind: 'accepted', detail: JSON.stringify(r.ids) };
      } catch (e) {
        return e instanceof Error && e.message.startsWith('labels.csv') ? { kind: 'refused', message: e.message, unchanged: true } : threw(e);
      }
    case 'labelsCsv':
      try {
        const csv = text(bytes);
        const { problems, labels } = parseLabelsCsv(csv);
        if (!problems.length) return { kind: 'accepted', detail: JSON.stringify([...labels]) };
        // The import preview (what the user sees before importing) must show them too.
        const preview = scanImport([{ path: 'a.png', size: 10 }, { path: 'b.png', size: 10 }], 'files', csv);
        if (!problems.slice(0, 5).every((p) => preview.problems.includes(p))) return { kind: 'threw', message: 'the import preview does not show the CSV problems' };
        return { kind: 'refused', message: problems.join(' | '), unchanged: true };
      } catch (e) {
        return threw(e);
      }
    case 'student':
    case 'projectZip': {
      const store = smallStore();
      const before = store.getState();
      const snap = { dataset: before.dataset, session: before.session, ensemble: before.ensemble };
      try {
        const r = importer === 'student' ? importStudentJson(store.getState(), text(bytes), name) : importProjectZip(store.getState(), bytes, name);
        const after = store.getState();
        const unchanged = after.dataset === snap.dataset && after.session === snap.session && after.ensemble === snap.ensemble;
        return r.ok ? { kind: 'accepted' } : { kind: 'refused', message: r.error, unchanged };
      } catch (e) {
        return threw(e);
      }
    }
  }
  throw new Error(`unknown importer ${importer}`);
}

export interface Verdict { c: NastyCase; outcome: Outcome; ok: boolean; why: string }

export async function judge(c: NastyCase): Promise<Verdict> {
  const bytes = new Uint8Array(readFileSync(resolve(NASTY, c.file)));
  const companions = (c.with ?? []).map((f) => ({ name: f.split('/').pop()!, bytes: new Uint8Array(readFileSync(resolve(NASTY, f))) }));
  const outcome = await runImporter(c.importer, bytes, c.file.split('/').pop()!, companions);
  if (c.accept) {
    return { c, outcome, ok: outcome.kind === 'accepted', why: outcome.kind === 'accepted' ? 'accepted' : `expected acceptance, got ${outcome.kind}: ${'message' in outcome ? outcome.message : ''}` };
  }
  if (outcome.kind !== 'refused') return { c, outcome, ok: false, why: outcome.kind === 'accepted' ? 'accepted a bad input' : `threw instead of refusing: ${outcome.message}` };
  if (!outcome.unchanged) return { c, outcome, ok: false, why: 'refused but changed the open project' };
  if (!new RegExp(c.refuse!, 'i').test(outcome.message)) return { c, outcome, ok: false, why: `message does not match /${c.refuse}/: ${outcome.message}` };
  return { c, outcome, ok: true, why: outcome.message };
}
