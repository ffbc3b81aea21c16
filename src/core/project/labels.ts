/**
 * Plain-language labels for provenance nodes. Names are looked up by index at the time of the
 * change and frozen into the label, so a later rename does not rewrite history.
 */

import type { Calibration, ConceptInfo, ProjectState, TuneOp } from './types.ts';

/** A weight as people read it: at most 3 decimals, no trailing zeros ("0.42", "-1.5", "0"). */
export function formatWeight(v: number): string {
  const r = Number(v.toFixed(3));
  return Object.is(r, -0) ? '0' : String(r);
}

export function className(s: ProjectState, c: number | 'all'): string {
  return c === 'all' ? 'all classes' : `'${s.classes[c]?.name ?? `class ${c}`}'`;
}

export function conceptName(s: ProjectState, j: number): string {
  return `'${s.concepts[j]?.name ?? `concept ${j}`}'`;
}

export function quickEditLabel(s: ProjectState, c: number, j: number, from: number, to: number): string {
  return `Set ${conceptName(s, j)} for ${className(s, c)} to ${formatWeight(to)} (was ${formatWeight(from)})`;
}

/** "Downtuned 'dim light' for 'rusty' ×2", "Banned 'watermark' for all classes". */
export function tuneLabel(s: ProjectState, op: TuneOp, c: number | 'all', j: number, factor: number): string {
  const concept = conceptName(s, j);
  const cls = className(s, c);
  switch (op) {
    case 'uptune':
      return `Uptuned ${concept} for ${cls} ×${formatWeight(factor)}`;
    case 'downtune':
      return `Downtuned ${concept} for ${cls} ×${formatWeight(factor)}`;
    case 'remove':
      return `Removed ${concept} from ${cls}`;
    case 'ban':
      return `Banned ${concept} for ${cls}`;
  }
}

export function distillLabel(s: ProjectState, members: number): string {
  const teacher = s.teacher ? `'${s.teacher.name}'` : 'the teacher';
  return `Distilled a student from ${teacher} (${members} member${members === 1 ? '' : 's'})`;
}

export function importLabel(source: string): string {
  return `Imported the student file '${source}'`;
}

const fold = (n: string) => n.trim().replace(/\s+/g, ' ').toLowerCase();

/** "Changed the concepts: added 3, removed 2 (now 141)". Names compared case/space-folded. */
export function corpusLabel(before: ConceptInfo[], after: ConceptInfo[]): string {
  const b = new Set(before.map((c) => fold(c.name)));
  const a = new Set(after.map((c) => fold(c.name)));
  const added = [...a].filter((n) => !b.has(n)).length;
  const removed = [...b].filter((n) => !a.has(n)).length;
  const parts: string[] = [];
  if (added) parts.push(`added ${added}`);
  if (removed) parts.push(`removed ${removed}`);
  if (!parts.length) parts.push('updated');
  return `Changed the concepts: ${parts.join(', ')} (now ${after.length})`;
}

export function teacherLabel(name: string, classesBefore: number, classesAfter: number): string {
  const cls = classesAfter !== classesBefore ? ` (${classesAfter} classes)` : '';
  return `Switched the teacher to '${name}'${cls}`;
}

export function calibrationLabel(before: Calibration, after: Calibration): string {
  const parts: string[] = [];
  const o0 = before.ood;
  const o1 = after.ood;
  if (!o1 && o0) parts.push('Turned the OOD flag off');
  else if (o1 && !o0) parts.push(`Turned the OOD flag on (${o1.score}, threshold ${formatWeight(o1.threshold)})`);
  else if (o1 && o0) {
    if (o1.threshold !== o0.threshold && o1.score === o0.score && o1.tau === o0.tau) {
      parts.push(`Set the OOD threshold to ${formatWeight(o1.threshold)}`);
    } else if (o1 !== o0) parts.push(`Changed the OOD flag (${o1.score}, τ ${formatWeight(o1.tau)}, threshold ${formatWeight(o1.threshold)})`);
  }
  const d0 = before.domain;
  const d1 = after.domain;
  if (d1 && !d0) parts.push(`Found ${d1.domains.length} conditions for domain calibration (${d1.mode === 'off' ? 'calibration off' : `mode '${d1.mode}'`})`);
  else if (d0 && !d1) parts.push('Removed domain calibration');
  else if (d1?.mode !== d0?.mode) parts.push(`Set domain calibration to '${d1?.mode ?? 'off'}'`);
  else if (d1 !== d0) parts.push(`Updated the domain statistics (${d1?.domains.length ?? 0} domains)`);
  return parts.length ? parts.join('; ') : 'Changed calibration settings';
}
