import { useMemo, useState } from 'react';
import { applyBlocker, applyToImages } from '../../state/applyFolder.ts';
import { makeSyntheticProject } from '../../state/demoSynthetic.ts';
import { studio, useShallow, useStudio } from '../../state/useStudio.ts';
import { FilePicker } from '../components/FilePicker.tsx';
import { Panel } from '../components/Panel.tsx';
import { JobsProgress } from '../components/Progress.tsx';
import { CorpusSection } from './CorpusSection.tsx';
import { DemoSection } from './DemoSection.tsx';
import { EmbeddingsImportSection } from './EmbeddingsImportSection.tsx';
import { OwnImagesSection, TeacherFiles } from './OwnImagesSection.tsx';
import { HttpTeacherSection } from './HttpTeacherSection.tsx';
import { SavedProjectsSection } from './SavedProjects.tsx';

function newSynthetic(N: number) {
  const { dataset, ensemble } = makeSyntheticProject({ seed: 7, N });
  studio().commit({ type: 'load', dataset, ensemble, label: `Load ${dataset.name}` });
}


function ApplySection() {
  const [msg, setMsg] = useState<{ text: string; bad: boolean } | null>(null);
  const blocker = useStudio((s) => applyBlocker(s));
  return (
    <>
      <div className="row wrap" style={{ marginTop: 6 }}>
        <span className="small muted">Tuned student:</span>
        <FilePicker label="Apply to a folder…" directory multiple onFiles={async (files) => {
          const s = studio();
          const why = applyBlocker(s);
          if (why) { setMsg({ text: why, bad: true }); return; }
          const images = files.filter((f) => /\.(jpe?g|png|gif|bmp|webp)$/i.test(f.name));
          if (!images.length) { setMsg({ text: 'No image files (jpg, png, gif, bmp, webp) in that selection.', bad: true }); return; }
          setMsg({ text: `Embedding and scoring ${images.length} images…`, bad: false });
          try {
            const read = await Promise.all(images.map(async (f) => ({ name: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
            const r = await applyToImages(studio(), read);
            const url = URL.createObjectURL(new Blob([r.csv], { type: 'text/csv' }));
            const a = document.createElement('a');
            a.href = url; a.download = 'predictions.csv'; a.click();
            setTimeout(() => URL.revokeObjectURL(url), 1000);
            setMsg({ text: `Saved predictions.csv: ${r.scored} images scored${r.failed ? `, ${r.failed} could not be read (listed in the file)` : ''}.`, bad: false });
          } catch (e) {
            setMsg({ text: `Applying the student failed: ${(e as Error).message}`, bad: true });
          }
        }} />
        {blocker && !msg && <span className="small muted" title={blocker}>needs an image model</span>}
      </div>
      {msg && (
        <p className={`small ${msg.bad ? 'neg' : ''}`} role="status" data-testid="apply-message" style={{ margin: '4px 0 0' }}>
          {msg.text} <button className="link" aria-label="Dismiss" onClick={() => setMsg(null)}>×</button>
        </p>
      )}
    </>
  );
}

function DatasetSection() {
  const ds = useStudio((s) => s.dataset);
  // O(N·C): once per dataset, not on every re-render of the Project view.
  const counts = useMemo(() => ds ? ds.classes.map((_, c) => {
    let n = 0;
    const ref = ds.labels ?? ds.teacherPred;
    for (let i = 0; i < ds.N; i++) if (ref[i] === c) n++;
    return n;
  }) : [], [ds]);
  const maxCount = Math.max(1, ...counts);
  return (
    <>
      {ds && (
        <>
          <p className="small" style={{ margin: '0 0 4px' }}>
            <strong>{ds.N.toLocaleString('en')}</strong> images · {ds.C} classes · split: {ds.split.train.length.toLocaleString('en')} distillation / {ds.split.heldOut.length.toLocaleString('en')} held-out
          </p>
          <table className="data small" aria-label={`Images per class (${ds.labels ? 'true labels' : 'teacher'})`}>
            <tbody>
              {ds.classes.map((c, k) => (
                <tr key={c}>
                  <td style={{ width: 90 }}>{c}</td>
                  <td><div className="bar" style={{ height: 8 }}><div style={{ width: `${(counts[k] / maxCount) * 100}%`, background: '#8a929e' }} /></div></td>
                  <td style={{ width: 44 }}>{counts[k]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <OwnImagesSection />
      <EmbeddingsImportSection />
      <ApplySection />
      <div className="row wrap" style={{ marginTop: 6 }}>
        <span className="small muted">Synthetic project:</span>
        {[2000, 10000, 20000].map((n) => <button key={n} onClick={() => newSynthetic(n)}>{n.toLocaleString('en')}</button>)}
      </div>
    </>
  );
}

function ModelSection() {
  const env = useStudio((s) => s.env);
  const ds = useStudio((s) => s.dataset);
  const pad = useStudio((s) => s.settings.padToSquare);
  const m = env.models.find((x) => x.id === env.modelId);
  return (
    <>
      <label className="row small">Model
        <select className="grow" value={env.modelId} onChange={(e) => studio().setEnv({ modelId: e.target.value })}>
          {env.models.map((x) => <option key={x.id} value={x.id}>{x.label}{x.sizeMB ? ` (${x.sizeMB} MB)` : x.source === 'bundled' ? ' (bundled)' : ''}</option>)}
        </select>
      </label>
      {m && <p className="small muted" style={{ margin: '2px 0' }}>Good for {m.goodFor}.{m.source === 'hub' && m.sizeMB ? ` Downloads ${m.sizeMB} MB once, then cached.` : ''}</p>}
      <p className="small" style={{ margin: '2px 0' }}>
        Device: <strong>{env.device ? `${env.device.device} · ${env.device.dtype}` : 'checking…'}</strong>
        {env.device && <span className="muted"> — {env.device.reason}</span>}
      </p>
      <p className="small muted" style={{ margin: '2px 0' }}>In use for this project: {ds?.modelDescription ?? '—'}. Refits run in: {env.engine}.</p>
      <label className="row small" title="CLIP resizes the shortest edge and centre-crops; padding keeps the borders (each image's detail shows the regions)">
        <input type="checkbox" checked={pad} onChange={(e) => studio().commit({ type: 'settings', patch: { padToSquare: e.target.checked } })} />
        Pad images to square instead of centre crop (future embeddings)
      </label>
    </>
  );
}

function TeacherSection() {
  const ds = useStudio((s) => s.dataset);
  const choice = useStudio((s) => s.ui.teacherChoice);
  return (
    <>
      <p className="small" style={{ margin: '0 0 4px' }}>Current: {ds?.teacherDescription ?? '—'}</p>
      <label className="row small">Source
        <select value={choice} onChange={(e) => studio().setUi({ teacherChoice: e.target.value as 'current' })}>
          <option value="current">keep current teacher</option>
          <option value="onnx">ONNX classifier + labels</option>
          <option value="zero-shot">CLIP zero-shot over class names</option>
          <option value="file">predictions file (CSV/JSON)</option>
          <option value="labels">ground-truth labels only</option>
          <option value="http">web service (HTTP endpoint)</option>
        </select>
      </label>
      <TeacherFiles choice={choice} />
      {choice === 'zero-shot' && <p className="small muted" style={{ margin: '4px 0 0' }}>Prompts: “a photo of a {'{class}'}”, softmax of cosines × 100.</p>}
      {choice === 'labels' && <p className="small muted" style={{ margin: '4px 0 0' }}>One-hot targets from the labels: the student becomes a plain concept bottleneck model.</p>}
      {choice === 'http' && <HttpTeacherSection />}
    </>
  );
}

/** Follows `busy` on its own: a refit starting or ending re-renders this button, not the whole Project view. */
function DistillButton() {
  const { busy, hasData } = useStudio(useShallow((s) => ({ busy: s.busy, hasData: s.dataset != null })));
  return <button className="primary" disabled={busy || !hasData} onClick={() => void studio().distill()}>Distill</button>;
}

export function ProjectView() {
  const hasData = useStudio((s) => s.dataset != null);
  // The corpus list (one row per concept, hundreds for a large corpus) exists only while its section is open.
  const [corpusOpen, setCorpusOpen] = useState(false);
  return (
    <Panel id="project" title="Project" style={{ flex: '40 1 0' }}
      tools={<DistillButton />}>
      <JobsProgress />
      <details open>
        <summary><h3 style={{ display: 'inline' }}>Demo project</h3></summary>
        <DemoSection />
      </details>
      <details open>
        <summary><h3 style={{ display: 'inline' }}>Dataset</h3></summary>
        <DatasetSection />
      </details>
      <details>
        <summary><h3 style={{ display: 'inline' }}>Model</h3></summary>
        <ModelSection />
      </details>
      <details onToggle={(e) => setCorpusOpen(e.currentTarget.open)}>
        <summary><h3 style={{ display: 'inline' }}>Concept corpus</h3></summary>
        {hasData && corpusOpen && <CorpusSection />}
      </details>
      <details>
        <summary><h3 style={{ display: 'inline' }}>Teacher</h3></summary>
        <TeacherSection />
      </details>
      <SavedProjectsSection />
    </Panel>
  );
}
