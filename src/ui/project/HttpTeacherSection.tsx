import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { publicUrl, type HttpTeacherConfigInput } from '../../core/teacher/http.ts';
import { cancelHttpRun, dismissHttpRun, httpBlocker, httpRun, loadHttpForm, prepareHttpRun, saveHttpForm, startHttpRun, teacherOrigin, applyHttpAnswers, type PreparedRun, type RunFailure } from '../../state/httpTeacher.ts';
import { studio, useStudio } from '../../state/useStudio.ts';

/**
 * Project › Teacher › "Web service (HTTP endpoint)": a black-box teacher (METHODS.md §8). The
 * form says where and how; "Check what would be sent" reads the images and the answer cache and
 * explains exactly what leaves the machine; nothing is sent before "Send". Progress, cancel,
 * one clear message per kind of failure, and "Use the answers" (a recorded teacher change,
 * then a distillation on the answered images).
 */

interface Form {
  url: string;
  headers: string;
  format: 'json-base64' | 'multipart' | 'raw';
  field: string;
  kind: 'probabilities' | 'label' | 'topk';
  path: string;
  labels: string;
  labelKey: string;
  scoreKey: string;
  smoothing: string;
  budget: string;
  rate: string;
  concurrency: string;
  timeout: string;
  retries: string;
  order: 'uncertain-first' | 'random';
}

const DEFAULT_FORM: Form = {
  url: '', headers: '', format: 'json-base64', field: 'image', kind: 'probabilities', path: 'probabilities', labels: '',
  labelKey: 'label', scoreKey: 'score', smoothing: '0', budget: '200', rate: '2', concurrency: '2', timeout: '15', retries: '3', order: 'uncertain-first',
};

const num = (s: string) => (s.trim() === '' ? NaN : Number(s));

function toConfig(f: Form): HttpTeacherConfigInput {
  const headers = f.headers.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const k = l.indexOf(':');
    return k < 0 ? { name: l, value: '' } : { name: l.slice(0, k).trim(), value: l.slice(k + 1).trim() };
  });
  const labels = f.labels.split(',').map((x) => x.trim()).filter(Boolean);
  return {
    url: f.url, headers,
    request: { format: f.format, field: f.field },
    response: { kind: f.kind, path: f.path, labelKey: f.labelKey, scoreKey: f.scoreKey, smoothing: num(f.smoothing) || 0, ...(labels.length ? { labels } : {}) },
    budget: num(f.budget), ratePerSecond: num(f.rate), concurrency: num(f.concurrency), timeoutMs: Math.round(num(f.timeout) * 1000), retries: num(f.retries), order: f.order,
  };
}

/** Problems in a dark red: the shared orange (--neg, a weight's colour) is too light for small text. */
const ERR = { color: '#b3261e' } as const;

const kb = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1e3))} KB`);

const BODY: Record<Form['format'], (field: string) => string> = {
  'json-base64': (field) => `JSON {"${field}": "<the image file, base64>"} (Content-Type: application/json)`,
  multipart: (field) => `a form upload (multipart/form-data) with the image file in the field "${field}", under its file name`,
  raw: () => 'the image file itself as the body (Content-Type: the image type, e.g. image/jpeg)',
};

function Confirm({ p }: { p: PreparedRun }) {
  const c = p.config;
  const n = p.images.length;
  const train = n - p.heldOut;
  const headerNames = c.headers.map((h) => h.name);
  return (
    <div className="progress small" role="region" aria-label="What will be sent" data-testid="http-confirm" style={{ marginTop: 6 }}>
      <strong>Before anything is sent</strong>
      {n === 0 ? (
        <span>Every image already has a stored answer from this service ({p.cached}); nothing needs to be sent.</span>
      ) : (
        <>
          <span>
            The studio will send <strong>{n} image{n === 1 ? '' : 's'}</strong> of this project, one per request, to <strong>{publicUrl(c.url)}</strong>
            {' '}({train} for distillation, {p.order === 'random' ? 'in random order' : 'least certain first'}; {p.heldOut} held-out, in random order, to measure fidelity).
          </span>
          <span>Each request: POST, body = {BODY[c.request.format](c.request.field)}. The original image files are sent ({kb(p.bytes)} in total), nothing else: no labels, no student, no other project data.</span>
          <span>Headers: {headerNames.length ? headerNames.map((h) => `${h} (value not shown)`).join(', ') : 'none besides Content-Type'}.</span>
          <span>
            At most <strong>{c.budget} requests</strong> in total (retries count), {c.ratePerSecond} per second, {c.concurrency} at a time; each waits {c.timeoutMs / 1000} s for an answer;
            server errors (5xx), “too many requests” (429), timeouts and network failures are retried up to {c.retries} times with growing pauses; other errors are not.
          </span>
          {p.orderNote && <span className="muted">{p.orderNote}</span>}
        </>
      )}
      <span>{p.cached} answer{p.cached === 1 ? ' is' : 's are'} already stored from this service and will not be asked again; {p.remaining - n} image{p.remaining - n === 1 ? '' : 's'} will stay unasked.</span>
      <div className="row" style={{ marginTop: 4 }}>
        <button className="primary" onClick={() => void startHttpRun()}>{n ? `Send ${n} image${n === 1 ? '' : 's'}` : 'OK'}</button>
        <button onClick={dismissHttpRun}>Don’t send</button>
      </div>
    </div>
  );
}

const KIND_TITLE: Record<RunFailure['kind'], string> = {
  timeout: 'No answer in time',
  http: 'The service answered with an error',
  network: 'Could not reach the service',
  blocked: 'Blocked by this page’s security policy',
  malformed: 'Answers the studio could not read',
  'unknown-label': 'Labels that are not classes of this project',
  budget: 'Budget reached',
};

function Failures({ list }: { list: RunFailure[] }) {
  if (!list.length) return null;
  const kinds = [...new Set(list.map((f) => f.kind))];
  return (
    <div data-testid="http-failures" style={{ marginTop: 4 }}>
      {kinds.map((k) => {
        const of = list.filter((f) => f.kind === k);
        return (
          <details key={k} open={kinds.length === 1}>
            <summary className="small" style={ERR}>{KIND_TITLE[k]}: {of.length} image{of.length === 1 ? '' : 's'}</summary>
            <ul className="small" style={{ margin: 0, paddingLeft: 16, maxHeight: 90, overflow: 'auto' }}>
              {of.slice(0, 20).map((f, x) => <li key={x}><span className="muted">{f.image}:</span> {f.message}</li>)}
              {of.length > 20 && <li className="muted">…and {of.length - 20} more</li>}
            </ul>
          </details>
        );
      })}
    </div>
  );
}

export function HttpTeacherSection() {
  const [f, setF] = useState<Form>(DEFAULT_FORM);
  const run = useStore(httpRun);
  const blocker = useStudio((s) => httpBlocker(s));
  const busy = useStudio((s) => s.busy);
  const teacherName = useStudio((s) => s.dataset?.teacherDescription ?? '');
  useEffect(() => {
    let live = true;
    void loadHttpForm().then((saved) => {
      if (live && saved) setF((cur) => ({ ...cur, ...(saved as Partial<Form>) }));
    });
    return () => {
      live = false;
    };
  }, []);
  const up = <K extends keyof Form>(k: K) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value as Form[K] });
  const running = run.phase === 'running' || run.phase === 'preparing';
  const pr = run.progress;
  const budget = run.prepared?.config.budget ?? 0;
  const answers = run.answers.size;
  const field = (label: string, k: keyof Form, props: Record<string, unknown> = {}) => (
    <label className="row small">{label}<input type="text" className="grow" value={f[k]} onChange={up(k)} disabled={running} {...props} /></label>
  );

  return (
    <div className="http-teacher" style={{ marginTop: 4 }}>
      <p className="small muted" style={{ margin: '0 0 4px' }}>
        A classifier you can only call over the network. The studio sends it images — only after showing you exactly what and asking — and keeps every answer, so no image is ever asked twice.
      </p>
      <form className="http-form" style={{ display: 'grid', gap: 3 }} onSubmit={(e) => { e.preventDefault(); void saveHttpForm({ ...f }); void prepareHttpRun(studio(), toConfig(f)); }}>
        {field('Address', 'url', { type: 'url', placeholder: 'https://classifier.example.org/predict', required: true })}
        <label className="small" style={{ display: 'grid', gap: 2 }}>Headers, one “Name: value” per line (e.g. an API key)
          <textarea rows={2} value={f.headers} onChange={up('headers')} disabled={running} placeholder="Authorization: Bearer …" style={{ fontFamily: 'inherit', fontSize: 12 }} />
        </label>
        <div className="row wrap">
          <label className="row small">Send the image as
            <select value={f.format} onChange={up('format')} disabled={running}>
              <option value="json-base64">JSON with the file in base64</option>
              <option value="multipart">form upload (multipart)</option>
              <option value="raw">the file itself</option>
            </select>
          </label>
          {f.format !== 'raw' && <label className="row small">field<input type="text" value={f.field} onChange={up('field')} disabled={running} style={{ width: 70 }} /></label>}
        </div>
        <div className="row wrap">
          <label className="row small">It answers
            <select value={f.kind} onChange={(e) => {
              const kind = e.target.value as Form['kind'];
              setF({ ...f, kind, path: f.path === DEFAULT_PATH[f.kind] ? DEFAULT_PATH[kind] : f.path });
            }} disabled={running}>
              <option value="probabilities">probabilities per class</option>
              <option value="label">one class name</option>
              <option value="topk">a top-k list (label + score)</option>
            </select>
          </label>
          <label className="row small" title="Dotted path to the answer in the JSON; empty = the whole answer">in field<input type="text" value={f.path} onChange={up('path')} disabled={running} style={{ width: 90 }} aria-label="Answer field (dotted path; empty = whole answer)" /></label>
        </div>
        {f.kind === 'probabilities' && field('If a list: class order', 'labels', { placeholder: 'empty = this project’s order' })}
        {f.kind === 'topk' && <div className="row">{field('label key', 'labelKey')}{field('score key', 'scoreKey')}</div>}
        {f.kind === 'label' && field('Label smoothing ε (0 = one-hot)', 'smoothing', { inputMode: 'decimal' })}
        <div className="row wrap">
          <label className="row small">Budget<input type="number" min={1} value={f.budget} onChange={up('budget')} disabled={running} style={{ width: 64 }} aria-label="Budget: most requests to send" /></label>
          <label className="row small">per second<input type="number" min={0.1} step="any" value={f.rate} onChange={up('rate')} disabled={running} style={{ width: 48 }} aria-label="Requests per second at most" /></label>
          <label className="row small">at once<input type="number" min={1} max={32} value={f.concurrency} onChange={up('concurrency')} disabled={running} style={{ width: 42 }} aria-label="Requests at once at most" /></label>
          <label className="row small">wait (s)<input type="number" min={0.1} step="any" value={f.timeout} onChange={up('timeout')} disabled={running} style={{ width: 48 }} aria-label="Seconds to wait for an answer" /></label>
          <label className="row small">retries<input type="number" min={0} max={10} value={f.retries} onChange={up('retries')} disabled={running} style={{ width: 42 }} aria-label="Retries after a server error or timeout" /></label>
        </div>
        <label className="row small">Ask first
          <select value={f.order} onChange={up('order')} disabled={running}>
            <option value="uncertain-first">the images the student is least sure about</option>
            <option value="random">random images (to compare)</option>
          </select>
        </label>
        <div className="row wrap">
          <button type="submit" disabled={running || !!blocker || run.phase === 'confirm'}>Check what would be sent…</button>
          {blocker && <span className="small" style={ERR}>{blocker}</span>}
        </div>
      </form>
      {f.url && !blocker && <p className="small muted" style={{ margin: '2px 0 0' }}>This page may only connect to addresses its server allows; {teacherOrigin(f.url)} must be listed (README, “Serving the built app”).</p>}

      {run.phase === 'confirm' && run.prepared && <Confirm p={run.prepared} />}

      {(run.phase === 'running' || (run.phase === 'finished' && run.prepared)) && (
        <div className="progress small" style={{ marginTop: 6 }} data-testid="http-progress" aria-label="Asking the teacher">
          <div className="bar" role="progressbar" aria-label="Budget used" aria-valuemin={0} aria-valuemax={budget} aria-valuenow={pr.requests}>
            <div style={{ width: `${budget ? (100 * pr.requests) / budget : 0}%` }} />
          </div>
          <span data-testid="http-counts">
            {pr.requests} requests sent · <strong>{pr.answered} answered</strong> · {pr.failed} failed · {pr.budgetLeft} left in the budget · {pr.waiting} not asked
          </span>
          {run.phase === 'running' && <div><button onClick={cancelHttpRun}>Cancel</button></div>}
        </div>
      )}
      {run.message && (
        <p className="small" role={run.message.bad ? 'alert' : 'status'} data-testid="http-message" style={{ margin: '4px 0 0', ...(run.message.bad ? ERR : {}) }}>{run.message.text}</p>
      )}
      <Failures list={run.failures} />
      {answers > 0 && run.phase !== 'running' && run.phase !== 'preparing' && (
        <div className="row wrap" style={{ marginTop: 6 }}>
          <span className="small" data-testid="http-stored"><strong>{answers}</strong> answers stored from this service.</span>
          <button className="primary" disabled={busy} onClick={() => void applyHttpAnswers(studio())}>Use them as the teacher and distil</button>
          <span className="small muted">Images without an answer are left out of distillation and of the metrics. Current teacher: {teacherName}</span>
        </div>
      )}
    </div>
  );
}

const DEFAULT_PATH: Record<Form['kind'], string> = { probabilities: 'probabilities', label: 'label', topk: 'predictions' };
