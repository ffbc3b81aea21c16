/**
 * `npm run nasty:report`: runs every file of the nasty-input corpus (tests/nasty/cases.json)
 * through its importer and prints, per importer, how many bad inputs were tried and how many
 * were refused cleanly (own error type, specific message, open project unchanged), plus the
 * awkward-but-valid inputs that must be accepted. Lists every failure. Exit code 1 on any.
 */
import { judge, loadCases, type Verdict } from '../tests/nasty/run.ts';

const verdicts: Verdict[] = [];
for (const c of loadCases()) verdicts.push(await judge(c));

const byImporter = new Map<string, Verdict[]>();
for (const v of verdicts) byImporter.set(v.c.importer, [...(byImporter.get(v.c.importer) ?? []), v]);
const rows = [...byImporter].map(([importer, vs]) => {
  const bad = vs.filter((v) => !v.c.accept);
  const valid = vs.filter((v) => v.c.accept);
  return { importer, tried: bad.length, refused: bad.filter((v) => v.ok).length, valid: valid.length, accepted: valid.filter((v) => v.ok).length };
});
const pad = (s: string | number, n: number) => String(s).padEnd(n);
console.log(`${pad('importer', 15)}${pad('bad tried', 11)}${pad('refused cleanly', 17)}valid-but-awkward accepted`);
for (const r of rows) console.log(`${pad(r.importer, 15)}${pad(r.tried, 11)}${pad(r.refused, 17)}${r.valid ? `${r.accepted}/${r.valid}` : '-'}`);
const t = rows.reduce((a, r) => ({ tried: a.tried + r.tried, refused: a.refused + r.refused, valid: a.valid + r.valid, accepted: a.accepted + r.accepted }), { tried: 0, refused: 0, valid: 0, accepted: 0 });
console.log(`${pad('total', 15)}${pad(t.tried, 11)}${pad(t.refused, 17)}${t.accepted}/${t.valid}`);
console.log('(+ made in memory by tests/nasty/nasty.test.ts: a 300,000-entry zip and 9 bad demo-cache arrays)');
const failed = verdicts.filter((v) => !v.ok);
for (const v of failed) console.log(`FAIL ${v.c.file} (${v.c.why}): ${v.why}`);
if (process.argv.includes('--verbose')) for (const v of verdicts.filter((x) => x.ok)) console.log(`ok   ${v.c.file}: ${v.why.slice(0, 140)}`);
process.exitCode = failed.length ? 1 : 0;
