import { makeSyntheticProject } from '../../state/demoSynthetic.ts';
import { canReopenDemo, reopenDemo, useDemoStatus } from '../../state/demoStatus.ts';
import { studio, useShallow, useStudio } from '../../state/useStudio.ts';
import type { CorpusHygiene } from '../../state/types.ts';

const mb = (b: number | null) => (b == null ? '…' : `${(b / 1e6).toFixed(1)} MB`);
const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function openSynthetic() {
  const { dataset, ensemble } = makeSyntheticProject({ seed: 7, N: 2000 });
  studio().commit({ type: 'load', dataset, ensemble, label: `Load ${dataset.name}` });
}

/**
 * The bundled demo project: which model, how big, where it runs, where the numbers came from and
 * how long the first screen took; and the way out to the synthetic project (and back).
 */
export function DemoSection() {
  const ds = useStudio((s) => s.dataset);
  const busy = useStudio((s) => s.busy);
  const st = useDemoStatus(useShallow((s) => ({ ...s })));
  const isDemo = ds?.source.kind === 'demo';
  const counts = isDemo && ds.sets ? ds.sets.names.map((_, k) => ds.sets!.of.reduce((n, v) => n + (v === k ? 1 : 0), 0)) : [];
  return (
    <div className="small" data-testid="demo-section">
      {(isDemo || st.phase === 'loading') && (
        <>
          <p style={{ margin: '0 0 4px' }}>
            Model <strong>demo-clip</strong> (bundled, offline): {mb(st.modelBytes)} of ONNX towers loaded
            {st.folderBytes ? ` (${mb(st.folderBytes)} folder)` : ''} · running on{' '}
            <strong data-testid="demo-device">{st.model ? `${st.model.device} · ${st.model.dtype}` : 'loading…'}</strong>
            {st.model ? ` · ${st.model.dim}-d` : ''}.
          </p>
          <p className="muted" style={{ margin: '0 0 4px' }} role="note">
            The demo model knows only this domain (drawn machine parts on an inspection line); it is not meant for your own photos.
          </p>
          {isDemo && (
            <p style={{ margin: '0 0 4px' }}>
              Teacher: <strong>{ds.teacherDescription}</strong>. Sets: {ds.sets?.names.map((n, k) => `${n} ${counts[k]}`).join(' · ')} (student fitted on distill, measured on holdout).
            </p>
          )}
        </>
      )}
      {st.phase === 'ready' && st.firstScreenMs != null && (
        <p className="muted" style={{ margin: '0 0 4px' }} data-testid="demo-timing" title={st.steps.map((s) => `${s.label}: ${secs(s.ms)}`).join('\n')}>
          First screen {secs(st.firstScreenMs)} after page load; arrays {st.source === 'cache' ? 'from the prepared cache (npm run demo:prepare)' : 'computed in this browser by the embed worker'}.
        </p>
      )}
      {st.note && <p className="muted" style={{ margin: '0 0 4px' }}>{st.note}</p>}
      {st.phase === 'error' && <p className="neg" role="alert" style={{ margin: '0 0 4px' }}>The demo project did not open: {st.error}</p>}
      <div className="row wrap">
        <button onClick={openSynthetic} disabled={busy}>Synthetic project</button>
        {canReopenDemo() && <button onClick={reopenDemo} disabled={busy || st.phase === 'loading'}>{isDemo ? 'Reopen demo project' : 'Demo project'}</button>}
      </div>
    </div>
  );
}

/** The hygiene that chose the student's concepts from the corpus (dropped concepts with reasons). */
export function CorpusHygieneReport({ h }: { h: CorpusHygiene }) {
  const byKind = new Map<string, number>();
  for (const d of h.dropped) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
  return (
    <div data-testid="hygiene-report">
      <h3 style={{ marginTop: 8 }}>Hygiene report</h3>
      <p className="small" style={{ margin: '0 0 4px' }}>
        {h.corpus}: {h.total} concepts, <strong>{h.total - h.dropped.length} kept</strong>, {h.dropped.length} dropped
        ({[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}) before distillation.
      </p>
      <ul className="small" style={{ margin: 0, paddingLeft: 16, maxHeight: 110, overflow: 'auto' }} aria-label="Concepts dropped by hygiene">
        {h.dropped.map((d) => <li key={d.name}>{d.reason}</li>)}
      </ul>
      <p className="small muted" style={{ margin: '4px 0 0' }}>Settings: {h.settings}.</p>
    </div>
  );
}
