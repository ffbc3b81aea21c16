import { BUILT_IN_CORPORA, REGION_CHOICES, buildOwnProject, clearOwnImages, parseCorpusText, pickFiles, pickZip, setOwnImages, useOwnImages, type PickedFile } from '../../state/ownImages.ts';
import { studioStore, useShallow, useStudio } from '../../state/useStudio.ts';
import { FilePicker } from '../components/FilePicker.tsx';

// No f.size here: its first read stats the disk on this thread, for every file of the folder.
const picked = (f: File): PickedFile => ({
  name: f.name,
  path: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name,
  bytes: async () => new Uint8Array(await f.arrayBuffer()),
  text: () => f.text(),
});

const TEACHER_WORDS: Record<string, string> = {
  current: 'the labels (one-hot)', labels: 'the labels (one-hot)', 'zero-shot': 'CLIP zero-shot over the class names', onnx: 'your ONNX classifier', file: 'your predictions file',
};

/**
 * Project › Dataset: pick your images (a folder with one sub-folder per class, a zip, or files
 * plus a labels CSV), see what was found, and build a project from them with the model, corpus
 * and teacher chosen below.
 */
export function OwnImagesSection() {
  const preview = useStudio((s) => s.ui.importPreview);
  const { teacherChoice, modelId, models, busy } = useStudio(useShallow((s) => ({ teacherChoice: s.ui.teacherChoice, modelId: s.env.modelId, models: s.env.models, busy: s.busy })));
  const o = useOwnImages((s) => s);
  const model = models.find((m) => m.id === modelId);
  const building = o.phase === 'building';
  const store = studioStore();
  return (
    <>
      <div className="row wrap" style={{ marginTop: 6 }}>
        <span className="small muted">Your images:</span>
        <FilePicker label="Folder…" directory multiple onFiles={(f) => void pickFiles(store, f.map(picked), 'folder')} />
        <FilePicker label="Zip…" accept=".zip,application/zip" onFiles={(f) => f[0] && void pickZip(store, picked(f[0]))} />
        <FilePicker label="Files + labels CSV…" multiple accept="image/*,.csv" onFiles={(f) => void pickFiles(store, f.map(picked), 'files')} />
      </div>
      {preview && (
        <div className="progress small" style={{ marginTop: 6 }} role="status" data-testid="import-preview">
          {preview.unpacking
            ? <strong>Unpacking {preview.unpacking}…</strong>
            : <strong>Found ({preview.source}): {preview.images.toLocaleString('en')} images{preview.skipped ? `, ${preview.skipped} other files ignored` : ''}</strong>}
          {preview.classes.length > 0 && <span>Classes: {preview.classes.map(([c, n]) => `${c} ${n}`).join(' · ')}</span>}
          {preview.unlabelled > 0 && <span>{preview.unlabelled} without a class</span>}
          {preview.problems.map((p) => <span key={p} className="neg">{p}</span>)}
          {o.source && preview.images > 0 && (
            <>
              <div className="row wrap small">
                <label className="row small" style={{ minWidth: 0 }}>Concepts
                <select style={{ maxWidth: 170 }} value={typeof o.corpus === 'string' ? o.corpus : 'own'} disabled={building} onChange={(e) => setOwnImages({ corpus: e.target.value })}>
                  {BUILT_IN_CORPORA.map((c) => <option key={c.file} value={c.file}>{c.label}</option>)}
                  {typeof o.corpus !== 'string' && <option value="own">{o.corpus.name} ({o.corpus.concepts.length} concepts)</option>}
                </select>
                </label>
                <FilePicker label="Your list (.txt)…" accept=".txt,text/plain" onFiles={async (f) => {
                  if (!f[0]) return;
                  const concepts = parseCorpusText(await f[0].text());
                  if (concepts.length) setOwnImages({ corpus: { name: f[0].name, concepts } });
                  else setOwnImages({ phase: 'error', message: `${f[0].name} holds no concept names (one per line, optionally "name<TAB>category").` });
                }} />
              </div>
              <label className="small" style={{ display: 'flex', flexDirection: 'column', gap: 2, minWidth: 0 }}>Regions per image
                <select style={{ maxWidth: '100%' }} value={o.grid} disabled={building} onChange={(e) => setOwnImages({ grid: Number(e.target.value) as 1 | 2 | 3 })}>
                  {REGION_CHOICES.map((c) => <option key={c.grid} value={c.grid}>{c.label}</option>)}
                </select>
              </label>
              <span className="muted" data-testid="regions-note">
                {o.grid === 1
                  ? 'Concepts are scored on the whole picture.'
                  : `The whole image plus ${o.grid * o.grid} overlapping crops: a concept that shows in only part of the picture (a small scratch, a label in a corner) still counts, because its best crop wins.`}
              </span>
              <span className="muted">
                Model: <strong>{model?.label ?? modelId}</strong> · Teacher: <strong>{TEACHER_WORDS[teacherChoice]}</strong> (change them under Model and Teacher below)
              </span>
              {model?.source === 'hub' && (
                <label className="row small">
                  <input type="checkbox" checked={o.allowDownload} onChange={(e) => setOwnImages({ allowDownload: e.target.checked })} />
                  Download it ({model.sizeMB ?? '?'} MB once, then cached in this browser)
                </label>
              )}
              <div className="row wrap">
                <button className="primary" disabled={building || busy} onClick={() => {
                  void buildOwnProject(store);
                  // The progress bar (with Cancel) sits at the top of the Project panel: bring it into view.
                  setTimeout(() => document.querySelector('#project [role="progressbar"]')?.closest('.progress')?.scrollIntoView({ block: 'nearest' }), 50);
                }}>Build project</button>
                <span className="muted">Your current project stays open until the new one is ready.</span>
              </div>
            </>
          )}
          {!building && <button className="link" onClick={() => clearOwnImages(store)}>Dismiss</button>}
        </div>
      )}
      {o.message && (
        <div className={`small ${o.phase === 'error' ? 'neg' : ''}`} role={o.phase === 'error' ? 'alert' : 'status'} data-testid="own-images-message" style={{ marginTop: 4 }}>
          {o.message}
        </div>
      )}
      {(o.skipped.length > 0 || o.notes.length > 0) && (
        <details className="small" open={o.skipped.length <= 5} data-testid="own-images-skipped">
          <summary>{[o.skipped.length ? `${o.skipped.length} file(s) skipped` : '', o.notes.length ? `${o.notes.length} note(s)` : ''].filter(Boolean).join(', ')}</summary>
          <ul style={{ margin: 0, paddingLeft: 16, maxHeight: 100, overflow: 'auto' }}>
            {o.skipped.map((s) => <li key={s.name}><strong>{s.name}</strong>: {s.reason}</li>)}
            {o.notes.map((n) => <li key={n} className="muted">{n}</li>)}
          </ul>
        </details>
      )}
    </>
  );
}

/** The Teacher section's file pickers (ONNX model + labels, or a predictions file), kept for the next build. */
export function TeacherFiles(props: { choice: string }) {
  const o = useOwnImages((s) => s);
  if (props.choice === 'onnx') {
    return (
      <div style={{ marginTop: 4 }}>
        <div className="row wrap">
          <FilePicker label="Model .onnx…" accept=".onnx" onFiles={async (f) => f[0] && setOwnImages({ onnxModel: { name: f[0].name, bytes: new Uint8Array(await f[0].arrayBuffer()) } })} />
          <FilePicker label="Labels .txt or teacher.json…" accept=".txt,.json" onFiles={async (f) => f[0] && setOwnImages({ onnxLabels: { name: f[0].name, text: await f[0].text() } })} />
        </div>
        <p className="small muted" style={{ margin: '2px 0 0' }} data-testid="onnx-files">
          {o.onnxModel ? `Model: ${o.onnxModel.name}` : 'No model picked'} · {o.onnxLabels ? `labels: ${o.onnxLabels.name}` : 'no labels picked'}.
          {' '}Labels: one class per line in the model's output order (images are sized from the model and normalised with ImageNet's mean and std); a teacher.json sets the preprocessing exactly.
          {' '}Used by the next “Build project”.
        </p>
      </div>
    );
  }
  if (props.choice === 'file') {
    return (
      <div style={{ marginTop: 4 }}>
        <FilePicker label="Predictions file…" accept=".csv,.json" onFiles={async (f) => f[0] && setOwnImages({ predictions: { name: f[0].name, text: await f[0].text() } })} />
        <p className="small muted" style={{ margin: '2px 0 0' }} data-testid="predictions-file">
          {o.predictions ? `Picked: ${o.predictions.name}.` : 'No file picked.'} CSV: a column naming the image (file or id), then a “label” column or one probability column per class; or JSON {'{'}"image": "label"{'}'}. Used by the next “Build project”.
        </p>
      </div>
    );
  }
  return null;
}
