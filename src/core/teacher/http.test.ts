import { describe, expect, it } from 'vitest';
import {
  backoffMs, describeHttpTeacher, endpointIdentity, endpointOrigin, logitMargins, parseAnswer, parseHttpTeacherConfig, parseRetryAfter,
  planQueries, publicUrl, randomOrder, retryable, teacherFromAnswers, uncertainFirst, type HttpTeacherConfigInput,
} from './http.ts';

const classes = ['ok', 'scratched', 'rusty'];
const cfg = (over: Partial<HttpTeacherConfigInput> = {}, response: Partial<HttpTeacherConfigInput['response']> = {}) =>
  parseHttpTeacherConfig({ url: 'http://127.0.0.1:9/predict', request: { format: 'json-base64' }, response: { kind: 'probabilities', ...response }, budget: 10, ...over });

describe('HTTP teacher configuration', () => {
  it('fills defaults and names every bad field', () => {
    const c = cfg();
    expect(c.request.field).toBe('image');
    expect(c.retries).toBe(3);
    expect(c.order).toBe('uncertain-first');
    expect(() => parseHttpTeacherConfig({ url: 'ftp://x', request: { format: 'json-base64' }, response: { kind: 'label' }, budget: 0, headers: [{ name: 'a b', value: '' }] }))
      .toThrow(/url must be a full http.*headers\.0\.name is not a valid HTTP header name.*budget/);
  });

  it('shows and exports the address without credentials or query string', () => {
    expect(publicUrl('https://user:secret@api.example.org:8443/v1/predict?key=abc#x')).toBe('https://api.example.org:8443/v1/predict');
    expect(endpointOrigin('http://127.0.0.1:5000/p')).toBe('http://127.0.0.1:5000');
    const d = describeHttpTeacher(cfg({ url: 'https://api.example.org/p?key=SECRET', headers: [{ name: 'Authorization', value: 'Bearer SECRET' }] }), 5, 10, 2);
    expect(JSON.stringify(d)).not.toMatch(/SECRET/);
    expect(d.description).toMatch(/5 of 10 images answered \(2 label-only/);
  });

  it('the cache identity ignores headers and budget but not the address or answer reading', () => {
    const a = endpointIdentity(cfg(), classes);
    expect(endpointIdentity(cfg({ headers: [{ name: 'X-Key', value: 'new' }], budget: 99 }), classes)).toBe(a);
    expect(endpointIdentity(cfg({ url: 'http://127.0.0.1:9/other' }), classes)).not.toBe(a);
    expect(endpointIdentity(cfg({}, { kind: 'label' }), classes)).not.toBe(a);
  });
});

describe('reading one answer', () => {
  it('probabilities as an object keyed by class (any case) or as an array in the teacher’s order', () => {
    const r = parseAnswer('{"p": {"OK": 0.2, "Rusty": 0.7, "scratched": 0.1}}', cfg({}, { path: 'p' }), classes);
    expect(r.ok && Array.from(r.probs)).toEqual([0.2, 0.1, 0.7].map(Math.fround));
    const r2 = parseAnswer('[0.7, 0.2, 0.1]', cfg({}, { labels: ['rusty', 'ok', 'scratched'] }), classes);
    expect(r2.ok && r2.label).toBe('rusty');
    expect(r2.ok && Array.from(r2.probs)).toEqual([0.2, 0.1, 0.7].map(Math.fround));
  });

  it('a label becomes one-hot, or label-smoothed by ε', () => {
    const r = parseAnswer('{"label": "scratched"}', cfg({}, { kind: 'label', path: 'label' }), classes);
    expect(r.ok && Array.from(r.probs)).toEqual([0, 1, 0]);
    expect(r.ok && r.labelOnly).toBe(true);
    const s = parseAnswer('"scratched"', cfg({}, { kind: 'label', smoothing: 0.3 }), classes);
    expect(s.ok && Array.from(s.probs)).toEqual([0.1, 0.8, 0.1].map(Math.fround));
  });

  it('top-k entries keep their scores; the rest of the mass is shared by the classes left out', () => {
    const r = parseAnswer('{"top": [{"name": "rusty", "p": 0.6}, {"name": "ok", "p": 0.3}]}', cfg({}, { kind: 'topk', path: 'top', labelKey: 'name', scoreKey: 'p' }), classes);
    expect(r.ok && Array.from(r.probs).map((x) => +x.toFixed(6))).toEqual([0.3, 0.1, 0.6]);
  });

  it('each bad answer gets its own message', () => {
    const bad = (body: string, c = cfg()) => {
      const r = parseAnswer(body, c, classes);
      if (r.ok) throw new Error('expected a problem');
      return r.problem;
    };
    expect(bad('<html>oops</html>').message).toMatch(/not JSON.*it began: <html>oops<\/html>$/);
    expect(bad('').message).toBe('the answer was empty, not JSON');
    expect(bad('{"x": 1}', cfg({}, { path: 'probs' })).message).toBe('the answer has no field "probs"');
    expect(bad('[0.5, 0.5]').message).toMatch(/has 2 numbers, expected 3 \(ok, scratched, rusty\)/);
    expect(bad('[0.5, 0.6, 0.2]').message).toMatch(/sum to 1\.3000, not 1/);
    expect(bad('{"ok": 0.5, "rusty": 0.5}').message).toMatch(/no probability for "scratched"/);
    expect(bad('[0.5, "a", 0.5]').message).toMatch(/\[1\] should be a probability in \[0, 1\], got the text "a"/);
    const u = bad('{"label": "dented"}', cfg({}, { kind: 'label', path: 'label' }));
    expect(u).toEqual({ kind: 'unknown-label', label: 'dented', message: 'the teacher answered "dented", which is not one of this project\'s classes (ok, scratched, rusty)' });
    expect(bad('{"label": 3}', cfg({}, { kind: 'label', path: 'label' })).message).toMatch(/should be a class name \(a string\), got number 3/);
    expect(bad('[{"label": "ok", "score": 0.9}, {"label": "rusty", "score": 0.5}]', cfg({}, { kind: 'topk' })).message).toMatch(/sum to 1\.4000, more than 1/);
    expect(bad('[{"label": "ok", "score": 0.5}, {"label": "OK", "score": 0.1}]', cfg({}, { kind: 'topk' })).message).toMatch(/lists "OK" twice/);
  });
});

describe('which images are asked first', () => {
  it('margins are the gap between the two highest logits; least certain first, ties in image order', () => {
    const Z = [[2, 1, 0], [0, 0.1, 0], [5, -1, 5], [1, 3, 2.5]];
    const m = logitMargins(4, 3, (i, c) => Z[i][c]);
    expect(Array.from(m).map((x) => +x.toFixed(6))).toEqual([1, 0.1, 0, 0.5]);
    expect(uncertainFirst([0, 1, 2, 3], m)).toEqual([2, 1, 3, 0]);
    expect(uncertainFirst([3, 0], [0.2, 9, 9, 0.2])).toEqual([0, 3]);
  });

  it('random order is a seeded permutation', () => {
    const a = randomOrder([10, 11, 12, 13, 14, 15], 3);
    expect(a.slice().sort()).toEqual([10, 11, 12, 13, 14, 15]);
    expect(randomOrder([10, 11, 12, 13, 14, 15], 3)).toEqual(a);
  });

  it('plans exactly the budget, skips answered images, keeps the held-out share at every prefix', () => {
    const train = Array.from({ length: 80 }, (_, i) => i);
    const heldOut = Array.from({ length: 20 }, (_, i) => 80 + i);
    const margins = Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    const answered = (i: number) => i % 10 === 0;
    const plan = planQueries({ train, heldOut, answered, budget: 30, order: 'uncertain-first', margins });
    expect(plan).toHaveLength(30);
    expect(new Set(plan).size).toBe(30);
    expect(plan.some(answered)).toBe(false);
    const trainAsked = plan.filter((i) => i < 80);
    // The distillation side follows the margins exactly.
    expect(trainAsked).toEqual(uncertainFirst(train.filter((i) => !answered(i)), margins).slice(0, trainAsked.length));
    for (let k = 5; k <= 30; k += 5) {
      const held = plan.slice(0, k).filter((i) => i >= 80).length;
      expect(Math.abs(held - 0.2 * k)).toBeLessThanOrEqual(1);
    }
    // Fewer images than budget: every unanswered image, once.
    expect(planQueries({ train, heldOut, answered, budget: 1000, order: 'random' })).toHaveLength(90);
    expect(() => planQueries({ train, heldOut, answered, budget: 5, order: 'uncertain-first' })).toThrow(/margins/);
  });
});

describe('retries', () => {
  it('retries 5xx, 429 and network failures only', () => {
    expect([500, 503, 429, null].map(retryable)).toEqual([true, true, true, true]);
    expect([400, 401, 404, 422].map(retryable)).toEqual([false, false, false, false]);
  });

  it('back-off doubles, is capped, jittered in its upper half, and Retry-After wins when longer', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 1, { baseMs: 100 }))).toEqual([100, 200, 400, 800]);
    expect(backoffMs(3, 0, { baseMs: 100 })).toBe(200);
    expect(backoffMs(20, 1, { baseMs: 100, maxMs: 5000 })).toBe(5000);
    expect(backoffMs(1, 1, { baseMs: 100, retryAfterMs: 3000 })).toBe(3000);
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeNull();
  });
});

describe('distillation targets from the answers', () => {
  const fallback = { rows: 6, cols: 2, data: Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]) };
  const split = { train: [0, 1, 2, 3], heldOut: [4, 5] };
  it('answered images take the answer; the split keeps answered images only', () => {
    const answers = new Map([[0, { probs: Float32Array.from([1, 0]), labelOnly: true }], [2, { probs: Float32Array.from([0.2, 0.8]), labelOnly: false }], [5, { probs: Float32Array.from([0, 1]), labelOnly: true }]]);
    const r = teacherFromAnswers(fallback, split, answers);
    expect(Array.from(r.split.train)).toEqual([0, 2]);
    expect(Array.from(r.split.heldOut)).toEqual([5]);
    expect(Array.from(r.teacher.data.subarray(0, 6))).toEqual([1, 0, 0.5, 0.5, 0.2, 0.8].map(Math.fround));
    expect(r.labelOnly).toBe(2);
    expect(Array.from(r.answered)).toEqual([1, 0, 1, 0, 0, 1]);
    expect(fallback.data[0]).toBe(0.5);
  });
  it('refuses when a side has no answers', () => {
    expect(() => teacherFromAnswers(fallback, split, new Map([[0, { probs: Float32Array.from([1, 0]), labelOnly: true }], [1, { probs: Float32Array.from([1, 0]), labelOnly: true }]]))).toThrow(/no held-out image/);
    expect(() => teacherFromAnswers(fallback, split, new Map([[4, { probs: Float32Array.from([1, 0]), labelOnly: true }]]))).toThrow(/only 0 distillation images have an answer/);
  });
});
