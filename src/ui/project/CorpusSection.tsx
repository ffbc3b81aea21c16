import { useMemo, useState } from 'react';
import { conceptHygiene, describeDrop } from '../../core/concepts/hygiene.ts';
import { studio, useStudio } from '../../state/useStudio.ts';
import { CorpusHygieneReport } from './DemoSection.tsx';

/**
 * Concept corpus: rename (a label only), remove (= ban for all classes, refit), add or import
 * .txt (embedded at the next distillation), and the hygiene report with reasons and undo.
 */
export function CorpusSection() {
  const ds = useStudio((s) => s.dataset)!;
  const pending = useStudio((s) => s.ui.corpusPending);
  const kept = useStudio((s) => s.ui.hygieneKept);
  const busy = useStudio((s) => s.busy);
  const [text, setText] = useState('');
  const [editing, setEditing] = useState<number | null>(null);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState('');
  const report = useMemo(() => {
    // Without text embeddings (synthetic project) the text-similarity checks have nothing to
    // compare: give each concept its own axis so only the name and never-fires checks speak.
    const M = ds.M;
    const eye = new Float32Array(M * M);
    for (let j = 0; j < M; j++) eye[j * M + j] = 1;
    return conceptHygiene({ names: ds.concepts, conceptEmbeddings: { rows: M, cols: M, data: eye }, activations: ds.raw });
  }, [ds]);
  const drops = report.dropped.filter((d) => !kept.includes(d.concept));
  const set = studio().setUi;

  const add = (names: string[]) => {
    const existing = new Set([...ds.concepts, ...pending].map((n) => n.trim().toLowerCase()));
    const fresh = names.map((n) => n.trim()).filter((n) => n && !existing.has(n.toLowerCase()));
    const dupes = names.length - fresh.length;
    set({ corpusPending: [...pending, ...new Set(fresh)] });
    setError(dupes ? `${dupes} name(s) skipped: empty or already in the corpus.` : '');
  };

  return (
    <>
      <p className="small muted" style={{ margin: '0 0 4px' }}>{ds.M} concepts in the student{pending.length ? `, ${pending.length} waiting for the next distillation` : ''}.</p>
      <ul style={{ listStyle: 'none', margin: 0, padding: 0, maxHeight: 120, overflow: 'auto', border: '1px solid var(--line)', borderRadius: 4 }} aria-label="Concepts in the corpus">
        {ds.concepts.map((c, j) => (
          <li key={j} className="row" style={{ padding: '1px 6px', borderBottom: '1px solid #f0f1f4' }}>
            {editing === j ? (
              <form className="row grow" onSubmit={(e) => { e.preventDefault(); studio().commit({ type: 'relabel', concept: j, name: draft }); setEditing(null); }}>
                <input type="text" className="grow" aria-label={`New name for ${c}`} value={draft} autoFocus onChange={(e) => setDraft(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setEditing(null)} />
                <button type="submit">OK</button>
              </form>
            ) : (
              <>
                <span className="grow ellipsis">{c}</span>
                <button className="icon" aria-label={`Rename ${c}`} title="Rename" onClick={() => { setEditing(j); setDraft(c); }}>✎</button>
                <button className="icon" aria-label={`Remove ${c} (ban for all classes, refit)`} title="Remove: ban for all classes and refit" disabled={busy} onClick={() => void studio().tune('banAll', 0, j)}>×</button>
              </>
            )}
          </li>
        ))}
        {pending.map((c) => (
          <li key={`p-${c}`} className="row small" style={{ padding: '1px 6px' }}>
            <span className="grow ellipsis muted">{c} (new)</span>
            <button className="icon" aria-label={`Discard ${c}`} onClick={() => set({ corpusPending: pending.filter((x) => x !== c) })}>×</button>
          </li>
        ))}
      </ul>
      <form className="row" style={{ marginTop: 4 }} onSubmit={(e) => { e.preventDefault(); add([text]); setText(''); }}>
        <input type="text" className="grow" placeholder="Add a concept, e.g. oil stain" aria-label="New concept" value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={!text.trim()}>Add</button>
        <label className="row" style={{ cursor: 'pointer' }}>
          <span className="sr-only">Import concepts from a .txt file</span>
          <span aria-hidden="true" className="small" style={{ border: '1px solid var(--line-strong)', borderRadius: 4, padding: '3px 6px' }}>Import .txt</span>
          <input type="file" accept=".txt,text/plain" className="sr-only" onChange={async (e) => {
            const f = e.target.files?.[0];
            if (!f) return;
            add((await f.text()).split(/\r?\n/).map((l) => l.replace(/#.*/, '')));
            e.target.value = '';
          }} />
        </label>
      </form>
      {error && <p className="small neg" role="alert" style={{ margin: '2px 0' }}>{error}</p>}
      {ds.hygiene ? <CorpusHygieneReport h={ds.hygiene} /> : <>
      <h3 style={{ marginTop: 8 }}>Hygiene report</h3>
      {drops.length === 0 ? <p className="small muted" style={{ margin: 0 }}>No concept needs attention.</p> : (
        <>
          <ul className="small" style={{ margin: 0, paddingLeft: 16 }}>
            {drops.map((d) => (
              <li key={d.concept}>
                {describeDrop(d, ds.concepts, ds.classes)}{' '}
                <button className="link" onClick={() => set({ hygieneKept: [...kept, d.concept] })} aria-label={`Keep ${ds.concepts[d.concept]} (undo this drop)`}>keep it</button>
              </li>
            ))}
          </ul>
          <button style={{ marginTop: 4 }} disabled={busy} onClick={() => void studio().tuneMany(drops.map((d) => ({ op: 'ban', cls: 'all', concept: d.concept })), `Hygiene: ban ${drops.length} concept(s)`)}>
            Apply: ban {drops.length} concept(s) and refit
          </button>
        </>
      )}
      {kept.length > 0 && (
        <p className="small muted" style={{ margin: '4px 0 0' }}>
          Kept against advice: {kept.map((j) => ds.concepts[j]).join(', ')}. <button className="link" onClick={() => set({ hygieneKept: [] })}>Undo</button>
        </p>
      )}
      <p className="small muted" style={{ margin: '4px 0 0' }}>Text-similarity checks (class-name leaks, near-duplicates) run when concepts are embedded.</p>
      </>}
    </>
  );
}
