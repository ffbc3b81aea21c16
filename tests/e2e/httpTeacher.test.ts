/**
 * The black-box (HTTP) teacher in the studio (real Chromium, production build, the demo
 * project) against a mock teacher on 127.0.0.1 (tools/demo/mockTeacher.ts, node:http) that
 * answers with the demo teacher's probabilities — except the first image it sees on a path never
 * gets an answer (timeout), the second always gets HTTP 500, the third malformed JSON; a second
 * path answers labels only, the first one not a class of the project.
 *
 * Checked: nothing is sent before the confirmation; the budget is exact; each failure kind is
 * reported in its own words; answers received survive a reload and are never asked again;
 * "use them" records a teacher change and distils; a teacher origin the page's CSP does not
 * allow is reported as blocked by the policy, with nothing sent.
 * Screenshots: artifacts/screenshots/http-teacher-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumAvailable, ROOT, SHOTS, startHarness, type Harness } from '../../tools/e2e/harness.ts';
import { demoTeacherLookup, startMockTeacher, type MockReply, type MockTeacher } from '../../tools/demo/mockTeacher.ts';
import { loadDemoFromDisk } from '../../tools/demo/demoFromDisk.ts';

let h: Harness;
let mock: MockTeacher;
let outside: MockTeacher;
const kinds = new Map<string, string>();
const seen: Record<string, number> = {};

/** Serious or critical axe violations inside the HTTP teacher section. */
async function axe(p: Page): Promise<{ id: string; impact: string; n: number }[]> {
  if ((await p.evaluate('typeof window.axe')) !== 'object') {
    await p.addScriptTag({ content: readFileSync(resolve(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
  }
  const v = (await p.evaluate(`(async () => {
    const r = await window.axe.run(document.querySelector('.http-teacher'), { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length }));
  })()`)) as { id: string; impact: string; n: number }[];
  return v.filter((x) => x.impact === 'serious' || x.impact === 'critical');
}

const state = (p: Page, expr: string) => p.evaluate(`(() => { const s = window.__studio.getState(); return ${expr}; })()`);

describe.skipIf(!chromiumAvailable())('HTTP teacher (demo, production build, mock teacher on 127.0.0.1)', () => {
  beforeAll(async () => {
    const { meta, arrays } = await loadDemoFromDisk();
    const lookup = demoTeacherLookup(meta, arrays.teacher, ROOT);
    const classes = meta.classes;
    mock = await startMockTeacher((path, _img, sha): MockReply => {
      const k = `${path}|${sha}`;
      if (!kinds.has(k)) {
        const n = (seen[path] = (seen[path] ?? 0) + 1);
        kinds.set(k, path === '/label' ? (n === 1 ? 'unknown' : 'ok') : n === 1 ? 'hang' : n === 2 ? '500' : n === 3 ? 'malformed' : 'ok');
      }
      const kind = kinds.get(k)!;
      const t = lookup.get(sha);
      if (!t) return { status: 400, text: 'not a demo image' };
      if (kind === 'hang') return 'hang';
      if (kind === '500') return { status: 500, text: 'internal error' };
      if (kind === 'malformed') return { text: '{"probabilities": {"ok": 0.5,' };
      const best = t.probs.indexOf(Math.max(...t.probs));
      if (path === '/label') return { json: { label: kind === 'unknown' ? 'corroded' : classes[best] } };
      return { json: { probabilities: Object.fromEntries(classes.map((c, i) => [c, +t.probs[i].toFixed(6)])) } };
    });
    outside = await startMockTeacher(() => ({ json: { label: 'ok' } }));
    // The page's connect-src allows the mock teacher (and not `outside`): build and preview read it.
    process.env.TEACHER_ORIGINS = mock.origin;
    h = await startHarness();
  }, 300_000);
  afterAll(async () => {
    await h?.close();
    await mock?.close();
    await outside?.close();
  });

  async function openSection(p: Page) {
    await p.locator('summary', { has: p.getByRole('heading', { name: 'Teacher', exact: true }) }).click();
    await p.getByLabel('Source').selectOption('http');
    await p.locator('.http-teacher').waitFor();
  }

  it('asks only after confirming, reports each failure, keeps answers across a reload, and distils from them', async () => {
    const p = await h.page({ width: 1440, height: 900 });
    await p.waitForFunction('window.__demoFirstScreenMs > 0', null, { timeout: 120_000 });
    await openSection(p);
    const sec = p.locator('.http-teacher');
    await sec.getByLabel('Address').fill(`${mock.url}?key=SECRET`);
    await sec.getByLabel(/Headers/).fill('X-Api-Key: SECRET');
    await sec.getByLabel('Budget: most requests to send').fill('30');
    await sec.getByLabel('Requests per second at most').fill('20');
    await sec.getByLabel('Requests at once at most').fill('4');
    await sec.getByLabel('Seconds to wait for an answer').fill('1');
    await sec.getByLabel('Retries after a server error or timeout').fill('1');
    await sec.scrollIntoViewIfNeeded();
    const panel = p.locator('#project');
    await panel.screenshot({ path: `${SHOTS}/http-teacher-form.png` });

    // Confirm: the explanation says what goes where; nothing has been sent yet.
    await sec.getByRole('button', { name: 'Check what would be sent…' }).click();
    const confirm = p.getByTestId('http-confirm');
    await confirm.waitFor({ timeout: 60_000 });
    const text = await confirm.innerText();
    expect(text).toMatch(/will send 30 images of this project, one per request, to http:\/\/127\.0\.0\.1:\d+\/predict/);
    expect(text).toMatch(/least certain first/);
    expect(text).toMatch(/X-Api-Key \(value not shown\)/);
    expect(text).toMatch(/At most 30 requests in total \(retries count\)/);
    expect(text).not.toMatch(/SECRET/);
    expect(mock.requests).toHaveLength(0);
    await confirm.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: `${SHOTS}/http-teacher-confirm.png` });
    expect(await axe(p)).toEqual([]);

    await confirm.getByRole('button', { name: 'Send 30 images' }).click();
    await p.getByTestId('http-progress').waitFor();
    await p.getByTestId('http-progress').scrollIntoViewIfNeeded();
    await panel.screenshot({ path: `${SHOTS}/http-teacher-progress.png` });
    await p.getByTestId('http-message').filter({ hasText: /requests sent/ }).waitFor({ timeout: 60_000 });

    // Exactly the budget; the mock saw what the studio reports.
    expect(mock.requests).toHaveLength(30);
    const okImages = new Set(mock.requests.filter((r) => kinds.get(`/predict|${r.sha256}`) === 'ok').map((r) => r.sha256));
    const counts = await p.getByTestId('http-counts').innerText();
    expect(counts).toContain(`30 requests sent · ${okImages.size} answered · 3 failed · 0 left in the budget`);
    expect(await p.getByTestId('http-message').innerText()).toMatch(/The query budget of 30 requests is used up\./);
    const failures = p.getByTestId('http-failures');
    expect(await failures.innerText()).toMatch(/No answer in time: 1 image/);
    expect(await failures.innerText()).toMatch(/The service answered with an error: 1 image/);
    expect(await failures.innerText()).toMatch(/Answers the studio could not read: 1 image/);
    for (const s of await failures.locator('summary').all()) await s.click();
    const details = await failures.innerText();
    expect(details).toMatch(/did not answer in time \(no answer within 1 s\)/);
    expect(details).toMatch(/answered HTTP 500 \(internal error\)/);
    expect(details).toMatch(/unusable answer: the answer is not JSON .*it began: \{"probabilities": \{"ok": 0\.5,\. Expected JSON with, at "probabilities"/);
    expect(await p.getByTestId('http-stored').innerText()).toContain(`${okImages.size} answers stored`);
    await failures.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: `${SHOTS}/http-teacher-errors.png` });
    expect(await axe(p)).toEqual([]);
    await p.screenshot({ path: `${SHOTS}/http-teacher-1440x900.png` });

    // Reload: the answers are still there and are not asked again.
    await p.reload();
    await p.getByRole('heading', { name: 'History', exact: true }).waitFor();
    await p.waitForFunction('window.__studio.getState().live != null', null, { timeout: 120_000 });
    if (!(await p.locator('.http-teacher').isVisible())) await openSection(p);
    await expect(sec.getByLabel('Address').inputValue()).resolves.toBe(`${mock.url}?key=SECRET`);
    await expect(sec.getByLabel(/Headers/).inputValue()).resolves.toBe('X-Api-Key: ');
    await sec.getByRole('button', { name: 'Check what would be sent…' }).click();
    await confirm.waitFor({ timeout: 60_000 });
    expect(await confirm.innerText()).toMatch(new RegExp(`${okImages.size} answers are already stored from this service and will not be asked again`));
    await confirm.getByRole('button', { name: 'Don’t send' }).click();
    expect(mock.requests).toHaveLength(30);

    // Use them: a recorded teacher change, then a distillation on the answered images.
    const nodes0 = (await state(p, 'Object.keys(s.session.history.nodes).length')) as number;
    await sec.getByRole('button', { name: 'Use them as the teacher and distil' }).click();
    await p.waitForFunction(`Object.keys(window.__studio.getState().session.history.nodes).length === ${nodes0 + 2} && !window.__studio.getState().busy`, null, { timeout: 120_000 });
    const after = (await state(p, `(() => {
      const ns = Object.values(s.session.history.nodes).sort((a, b) => a.seq - b.seq).slice(-2);
      return { actions: ns.map((n) => n.action), label: ns[0].label, teacher: s.session.state.teacher, n: s.dataset.split.train.length + s.dataset.split.heldOut.length, held: s.metrics.n };
    })()`)) as { actions: string[]; label: string; teacher: { kind: string; name: string; description: string }; n: number; held: number };
    expect(after.actions).toEqual(['teacherChange', 'distill']);
    expect(after.label).toMatch(/Switched the teacher to 'HTTP teacher http:\/\/127\.0\.0\.1:\d+\/predict'/);
    expect(after.teacher.kind).toBe('http');
    expect(after.teacher.description).toMatch(new RegExp(`${okImages.size} of 1470 images answered`));
    expect(JSON.stringify(after.teacher)).not.toMatch(/SECRET/);
    expect(after.n).toBe(okImages.size);

    // Label-only answers: one-hot; a label that is not a class is named.
    await sec.getByLabel('Address').fill(`${mock.origin}/label`);
    await sec.getByLabel('It answers').selectOption('label');
    await expect(sec.getByLabel('Answer field (dotted path; empty = whole answer)').inputValue()).resolves.toBe('label');
    await sec.getByLabel('Budget: most requests to send').fill('6');
    await sec.getByRole('button', { name: 'Check what would be sent…' }).click();
    await confirm.getByRole('button', { name: 'Send 6 images' }).click();
    await p.getByTestId('http-message').filter({ hasText: /requests sent/ }).waitFor({ timeout: 60_000 });
    expect(await p.getByTestId('http-counts').innerText()).toContain('6 requests sent · 5 answered · 1 failed');
    expect(await failures.innerText()).toMatch(/Labels that are not classes of this project: 1 image/);
    expect(await failures.innerText()).toMatch(/the teacher answered "corroded", which is not one of this project's classes \(ok, scratched, rusty, cracked, dented, chipped\)/);
    await p.context().close();
  }, 300_000);

  it('a teacher the page’s CSP does not allow is reported as blocked by the policy; nothing is sent', async () => {
    // A context under the real policy (the harness bypasses CSP for Playwright's string predicates).
    const ctx = await h.browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const p = await ctx.newPage();
    await p.goto(h.url);
    await p.getByRole('heading', { name: 'History', exact: true }).waitFor();
    // A function predicate: Playwright evals string ones, which this page's CSP forbids.
    await p.waitForFunction(() => ((window as unknown as { __demoFirstScreenMs?: number }).__demoFirstScreenMs ?? 0) > 0, null, { timeout: 120_000 });
    await openSection(p);
    const sec = p.locator('.http-teacher');
    await sec.getByLabel('Address').fill(outside.url);
    await sec.getByLabel('It answers').selectOption('label');
    await sec.getByLabel('Budget: most requests to send').fill('3');
    await sec.getByLabel('Retries after a server error or timeout').fill('2');
    await sec.getByLabel('Address').scrollIntoViewIfNeeded();
    await p.locator('#project').screenshot({ path: `${SHOTS}/http-teacher-form-1280x800.png` });
    await sec.getByRole('button', { name: 'Check what would be sent…' }).click();
    await p.getByTestId('http-confirm').getByRole('button', { name: /Send 3 images/ }).click({ timeout: 60_000 });
    const msg = p.getByTestId('http-message').filter({ hasText: /Content-Security-Policy/ });
    await msg.waitFor({ timeout: 60_000 });
    expect(await msg.innerText()).toMatch(new RegExp(`The browser blocked the request to ${outside.origin.replace(/\./g, '\\.')} because of this page's Content-Security-Policy.*Nothing was sent.*TEACHER_ORIGINS`));
    expect(await p.getByTestId('http-counts').innerText()).toContain('0 requests sent · 0 answered · 0 failed · 3 left in the budget');
    expect(outside.requests).toHaveLength(0);
    await msg.scrollIntoViewIfNeeded();
    await p.locator('#project').screenshot({ path: `${SHOTS}/http-teacher-blocked.png` });
    await p.screenshot({ path: `${SHOTS}/http-teacher-1280x800.png` });
    await ctx.close();
  }, 300_000);
});
