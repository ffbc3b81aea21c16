import { useState } from 'react';
import { buildFromEmbeddingImport, loadGeneralCorpus, previewEmbeddingFiles, type EmbeddingsPreview } from '../../state/embeddingsImport.ts';
import { studio, useStudio } from '../../state/useStudio.ts';

/**
 * Project › Dataset › "Precomputed embeddings…": embeddings made elsewhere (concept-studio embed,
 * clip-retrieval, a Spark job's parquet) become a project. The user picks the files at once,
 * sees what was found (sizes, classes, concepts, what was converted, what is wrong), chooses the
 * teacher and, where needed, the model for the concept names, then builds. The open project is
 * replaced only when the new one is ready.
 */
export function EmbeddingsImportSection() {
  const known = useStudio((s) => s.env.models);
  const [preview, setPreview] = useState<(EmbeddingsPreview & { name: string }) | null>(null);
  const [reading, setReading] = useState(false);
  const [model, setModel] = useState('');
  const [teacher, setTeacher] = useState<'labels' | 'zero-shot'>('labels');
  const [msg, setMsg] = useState<{ text: string; bad: boolean } | null>(null);
  const [building, setBuilding] = useState(false);
  const [agree, setAgree] = useState(false);

  const pick = async (files: File[]) => {
    if (!files.length) return;
    setReading(true);
    setMsg(null);
    try {
      const read = await Promise.all(files.map(async (f) => ({ name: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const p = await previewEmbeddingFiles(read, known.map((m) => ({ id: m.id, label: m.label, dim: m.dim ?? null })));
      const main = read.find((f) => /\.(npy|parquet)$/i.test(f.name))?.name.split('/').pop()?.replace(/\.(npy|parquet)$/i, '') ?? 'embeddings';
      setPreview({ ...p, name: `${main} (precomputed)` });
      setModel(p.models[0]?.id ?? '');
    } finally {
      setReading(false);
    }
  };

  const imp = preview?.imp ?? null;
  const needsModel = !!imp && (!imp.concepts?.text || teacher === 'zero-shot');
  const hub = known.find((m) => m.id === model && m.source === 'hub') ?? null;
  const blocked = !imp || preview!.problems.length > 0 || (needsModel && !model) || (!!hub && !agree) || building;

  const build = async () => {
    if (!imp || !preview) return;
    setBuilding(true);
    setMsg(null);
    const job = studio().startJob('Building the project from precomputed embeddings');
    try {
      const corpus = imp.concepts ? null : await loadGeneralCorpus(import.meta.env.BASE_URL);
      const r = await buildFromEmbeddingImport(imp, {
        name: preview.name, modelId: model || null, teacher, corpus, allowDownload: !!hub && agree, onProgress: job.progress, signal: job.signal,
      });
      studio().commit({ type: 'load', dataset: r.dataset, ensemble: r.ensemble, label: r.label });
      const m = r.metrics;
      setMsg({ text: `Built ${r.dataset.name}: ${r.dataset.N.toLocaleString('en')} images, ${r.dataset.M} concepts, ${r.dataset.C} classes; held-out fidelity ${(m.fidelity * 100).toFixed(1)} %.${r.notes.length ? ` ${r.notes.join(' ')}` : ''}`, bad: false });
      setPreview(null);
      job.finish(`Built ${r.dataset.name}.`);
    } catch (e) {
      const text = (e as Error).name === 'CancelledError' ? 'Cancelled; the open project is unchanged.' : `Could not build the project: ${(e as Error).message}. The open project is unchanged.`;
      setMsg({ text, bad: true });
      job.finish();
    } finally {
      setBuilding(false);
    }
  };

  return (
    <>
      <div className="row wrap" style={{ marginTop: 6 }}>
        <span className="small muted">Computed elsewhere:</span>
        <label className="row" style={{ cursor: 'pointer' }} title="concept-studio embed output (emb.npy + emb.ids.txt), clip-retrieval output (img_emb_*.npy + metadata_*.parquet) or a parquet with an embedding column; optionally concept embeddings (.npy) with concepts.txt, and a labels CSV">
          <span className="small" style={{ border: '1px solid var(--line-strong)', borderRadius: 4, padding: '3px 6px', background: '#fff' }}>Precomputed embeddings…</span>
          <input type="file" className="sr-only" aria-label="Precomputed embeddings…" multiple accept=".npy,.parquet,.txt,.json,.csv"
            onChange={(e) => { void pick(Array.from(e.target.files ?? [])); e.target.value = ''; }} />
        </label>
        {reading && <span className="small muted">reading…</span>}
      </div>
      {preview && (
        <div className="progress small" style={{ marginTop: 6 }} role="status" data-testid="embeddings-preview">
          {imp
            ? <strong>Found {imp.N.toLocaleString('en')} images × {imp.R} region{imp.R > 1 ? 's' : ''} × {imp.D} dimensions</strong>
            : <strong className="neg">These files cannot be imported</strong>}
          {preview.roles.length > 0 && <span className="muted">{preview.roles.map((r) => `${r.file.split('/').pop()}: ${r.role}`).join(' · ')}</span>}
          {imp && (
            <>
              {preview.classes.length > 0 && <span>Classes ({imp.labelSource}): {preview.classes.map(([c, n]) => `${c} ${n}`).join(' · ')}{preview.unlabelled ? ` · ${preview.unlabelled} without a class` : ''}</span>}
              <span>Concepts: {imp.concepts
                ? `${imp.concepts.names.length} from the concept list${imp.concepts.text ? ', with their text embeddings' : ', to be embedded with the model below'}`
                : 'none given: the general corpus (general.txt) will be embedded with the model below'}</span>
            </>
          )}
          {preview.notes.map((n) => <span key={n} className="muted">{n}</span>)}
          {preview.problems.map((p) => <span key={p} className="neg">{p}</span>)}
          {imp && preview.problems.length === 0 && (
            <>
              <label className="row small">Teacher
                <select value={teacher} onChange={(e) => setTeacher(e.target.value as 'labels' | 'zero-shot')}>
                  <option value="labels">the labels (one-hot)</option>
                  <option value="zero-shot">CLIP zero-shot over the class names</option>
                </select>
              </label>
              {(needsModel || preview.models.length > 0) && (
                <label className="row small">Model for the concept names
                  <select value={model} onChange={(e) => setModel(e.target.value)}>
                    {!needsModel && <option value="">none (activation-only project)</option>}
                    {preview.models.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
                    {needsModel && !preview.models.length && <option value="">no matching model</option>}
                  </select>
                </label>
              )}
              {(needsModel || preview.models.length > 0) && <span className="muted">{preview.modelNote}</span>}
              {hub && (
                <label className="row small">
                  <input type="checkbox" checked={agree} onChange={(e) => setAgree(e.target.checked)} />
                  Download {hub.label}{hub.sizeMB ? ` (about ${hub.sizeMB} MB, once, then cached)` : ''} to embed the concept and class names
                </label>
              )}
              {needsModel && !preview.models.length && <span className="neg">{teacher === 'zero-shot' ? 'CLIP zero-shot needs the model that made the embeddings.' : preview.modelNote}</span>}
              <span className="muted">Without the images there are no thumbnails: the gallery shows each image's file name.</span>
            </>
          )}
          <div className="row">
            {imp && <button className="primary" disabled={blocked} onClick={() => void build()}>Build project</button>}
            <button className="link" onClick={() => setPreview(null)}>Dismiss</button>
          </div>
        </div>
      )}
      {msg && (
        <p className={`small ${msg.bad ? 'neg' : ''}`} role="status" data-testid="embeddings-message" style={{ margin: '4px 0 0' }}>
          {msg.text} <button className="link" aria-label="Dismiss" onClick={() => setMsg(null)}>×</button>
        </p>
      )}
    </>
  );
}
