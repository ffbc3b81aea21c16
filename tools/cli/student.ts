/** Reading a student export for the CLI: parse with the studio's own validation, then decode. */
import { basename } from 'node:path';
import { parseStudentExport } from '../../src/core/schema/parse.ts';
import { decodeStudentExport, type DecodedStudent } from '../../src/core/schema/build.ts';
import type { StudentExportV1 } from '../../src/core/schema/exportV1.ts';
import { CliError, readJson } from './io.ts';

export function readStudent(path: string): { doc: StudentExportV1; student: DecodedStudent } {
  const parsed = parseStudentExport(readJson(path, 'student'));
  if (!parsed.ok) throw new CliError(`student ${basename(path)}: ${parsed.error}`);
  return { doc: parsed.value, student: decodeStudentExport(parsed.value) };
}
