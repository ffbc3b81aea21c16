/**
 * Conditions (domain-aware concept calibration, METHODS §8): editable condition prompts, how many
 * images each condition holds, the calibration mode (a recorded step) and the per-condition
 * concept statistics.
 */
import { useMemo, useState } from 'react';
import { studio, useStudio } from '../../state/useStudio.ts';
import {
  cleanPrompts, defaultDomainPrompts, domainBlock, domainBlocker, domainCounts, domainPosteriors, domainsFromPrompts, domainsInMode, setRows,
} from '../../state/domain.ts';
import { MIN_TEST_TIME_BATCH, type DomainMode } from '../../core/calibration/index.ts';

const MODE_LABEL: Record<DomainMode, string> = {
  off: 'Off: one set of concept statistics for every image',
  source: 'Per condition, from the distillation images (source statistics)',
  'test-time': 'Per condition, from an unlabelled batch of new images (test-time statistics)',
};

export function DomainSection() {
  const ds = useStudio((s) => s.dataset);
  const domain = useStudio((s) => s.session?.state.calibration.domain ?? null);
  const blocker = useStudio(domainBlocker);
  const [text, setText] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const shiftedSet = ds?.sets?.names.indexOf('shifted') ?? -1;
  const [batchSet, setBatchSet] = useState<number>(shiftedSet >= 0 ? shiftedSet : 0);
  const [concept, setConcept] = useState<number | null>(null);
  const post = useMemo(() => domainPosteriors(ds, domain), [ds, domain]);
  if (!ds) return null;
  const prompts = text ?? (domain ? domain.domains.map((d) => d.prompt) : defaultDomainPrompts(ds)).join('\n');
  const K = domain?.domains.length ?? 0;
  const counts = post ? domainCounts(post.top, K) : null;
  const heldCounts = post ? domainCounts(post.top, K, ds.split.heldOut) : null;

  const find = async () => {
    setError('');
    setBusy(true);
    try {
      const next = await domainsFromPrompts(studio(), cleanPrompts(prompts));
      studio().commit({ type: 'domainSettings', domain: next });
      setText(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const setMode = (mode: DomainMode, set = batchSet) => {
    setError('');
    if (!domain) return;
    try {
      const rows = mode === 'test-time' ? setRows(ds, set) : undefined;
      studio().commit({ type: 'domainSettings', domain: domainsInMode(ds, domain, mode, rows) });
    } catch (e) {
      setError((e as Error).message);
    }
  };

  // Default concept to inspect: the one whose mean moves most between conditions.
  const block = domain && K ? domainBlock(domain) : null;
  let shown = concept;
  if (block && shown === null) {
    let best = -1;
    for (let j = 0; j < block.M; j++) {
      let lo = Infinity, hi = -Infinity;
      for (let d = 0; d < K; d++) { lo = Math.min(lo, block.mu[d * block.M + j]); hi = Math.max(hi, block.mu[d * block.M + j]); }
      if (hi - lo > best) { best = hi - lo; shown = j; }
    }
  }
  return (
    <section className="domain-section" aria-label="Conditions (domain calibration)">
      <h3>Conditions (domain calibration)</h3>
      <p className="small muted" style={{ margin: '2px 0' }}>
        Describe the conditions your images are taken in, one per line. Each image gets a probability for each condition; with calibration on,
        each concept is measured against images of the same condition, so a dark or hazy photo of a sound part is not read as a defect.
      </p>
      {blocker ? <p className="small muted">{blocker}</p> : (
        <>
          <label className="small" htmlFor="domain-prompts">Condition prompts (one per line)</label>
          <textarea id="domain-prompts" rows={Math.min(6, Math.max(3, prompts.split('\n').length))} value={prompts} spellCheck={false}
            onChange={(e) => setText(e.target.value)} style={{ width: '100%', fontFamily: 'inherit', fontSize: 12 }} />
          <div className="row small">
            <button className="primary" disabled={busy} onClick={() => void find()}>{busy ? 'Embedding prompts…' : domain ? 'Update conditions' : 'Find conditions'}</button>
            {text !== null && <button className="link" onClick={() => setText(null)}>undo typing</button>}
          </div>
        </>
      )}
      {error && <p className="small neg" role="alert" style={{ margin: '2px 0' }}>{error}</p>}
      {domain && counts && (
        <>
          <table className="data" data-testid="domain-table">
            <thead><tr><th scope="col">Condition</th><th scope="col">Images (likeliest)</th><th scope="col">Held-out</th><th scope="col"><span className="sr-only">Show</span></th></tr></thead>
            <tbody>
              {domain.domains.map((d, k) => (
                <tr key={k}>
                  <td>{d.prompt}</td>
                  <td className="num">{counts[k]}</td>
                  <td className="num">{heldCounts![k]}</td>
                  <td><button className="link" onClick={() => studio().setUi({ filter: { kind: 'domain', domain: k } })} aria-label={`Show images in condition ${d.prompt}`}>show</button></td>
                </tr>
              ))}
            </tbody>
          </table>
          <fieldset className="domain-mode small" style={{ border: 0, padding: 0, margin: '4px 0' }}>
            <legend className="small"><strong>Concept standardisation</strong> (a recorded step; goes into the export)</legend>
            {(['off', 'source', 'test-time'] as const).map((m) => (
              <label key={m} className="row small" style={{ alignItems: 'flex-start' }}>
                <input type="radio" name="domain-mode" value={m} checked={domain.mode === m} onChange={() => setMode(m)} /> {MODE_LABEL[m]}
              </label>
            ))}
            {ds.sets && (
              <label className="row small" style={{ marginLeft: 20 }}>Unlabelled batch:
                <select aria-label="Unlabelled batch for test-time statistics" value={batchSet}
                  onChange={(e) => { setBatchSet(Number(e.target.value)); if (domain.mode === 'test-time') setMode('test-time', Number(e.target.value)); }}>
                  {ds.sets.names.map((n, k) => <option key={n} value={k}>set “{n}” ({setRows(ds, k).length} images)</option>)}
                </select>
              </label>
            )}
            <p className="small muted" style={{ margin: '2px 0 0 20px' }}>Test-time statistics need at least {MIN_TEST_TIME_BATCH} images; their labels are not used.</p>
          </fieldset>
          {block && shown !== null && (
            <details>
              <summary className="small">Concept statistics per condition</summary>
              <label className="row small">Concept
                <select aria-label="Concept to show statistics for" value={shown} onChange={(e) => setConcept(Number(e.target.value))}>
                  {ds.concepts.map((c, j) => <option key={j} value={j}>{c}</option>)}
                </select>
              </label>
              <table className="data" data-testid="domain-stats">
                <thead><tr><th scope="col">Condition</th><th scope="col">Mean μ</th><th scope="col">Spread σ</th></tr></thead>
                <tbody>
                  {domain.domains.map((d, k) => (
                    <tr key={k}><td>{d.prompt}</td><td className="num">{d.mu[shown!].toFixed(4)}</td><td className="num">{d.sigma[shown!].toFixed(4)}</td></tr>
                  ))}
                  <tr><td><em>all images (off)</em></td><td className="num">{ds.stats.mu[shown].toFixed(4)}</td><td className="num">{ds.stats.sigma[shown].toFixed(4)}</td></tr>
                </tbody>
              </table>
              <p className="small muted" style={{ margin: '2px 0' }}>
                {domain.mode === 'test-time' ? 'Statistics of the unlabelled batch, shrunk toward the source statistics of each condition.' : 'Statistics of the distillation images, each weighted by its probability of the condition.'}
              </p>
            </details>
          )}
        </>
      )}
    </section>
  );
}
