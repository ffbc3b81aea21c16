import { useEffect } from 'react';
import { studio, useShallow, useStudio } from '../../state/useStudio.ts';
import { Panel } from '../components/Panel.tsx';
import { DivergingBars } from '../components/DivergingBars.tsx';
import { Thumb } from '../components/Thumb.tsx';
import { classPairSentence, classPairTerms, imagePairSentence, imagePairTerms, proposeStep } from './pairwise.ts';

const TOP = 8;

function ImagePick(props: { label: string; i: number | null; onPick: (i: number) => void }) {
  const ds = useStudio((s) => s.dataset)!;
  const image = useStudio((s) => s.ui.image);
  const seed = ds.source.kind === 'synthetic' ? ds.source.seed : 0;
  return (
    <div className="row" style={{ gap: 4 }}>
      <strong>{props.label}</strong>
      {props.i != null && <Thumb i={props.i} seed={seed} url={ds.thumbs?.[props.i]} size={36} alt={ds.imageNames[props.i]} />}
      <div className="small" style={{ maxWidth: 120 }}>
        <div className="ellipsis">{props.i != null ? ds.imageNames[props.i] : 'none'}</div>
        <button className="link" disabled={image == null} onClick={() => image != null && props.onPick(image)}>use selected image</button>
      </div>
    </div>
  );
}

export function CompareView() {
  const ds = useStudio((s) => s.dataset);
  const live = useStudio((s) => s.live);
  // Read on `settled` (below), not on every drag move: Compare follows finished steps.
  const model = studio().ensemble?.served ?? null;
  const cmp = useStudio((s) => s.ui.compare);
  const { proposal, factor, busy } = useStudio(useShallow((s) => ({ proposal: s.ui.proposal, factor: s.ui.tuneFactor, busy: s.busy })));
  useStudio((s) => s.settled);

  // A sensible first pair: a misaligned held-out image, and one the teacher puts in the same class.
  useEffect(() => {
    if (!ds || !live || cmp.a != null) return;
    let a = -1;
    for (const i of ds.split.heldOut) if (live.pred[i] !== ds.teacherPred[i]) { a = i; break; }
    if (a < 0) a = ds.split.heldOut[0] ?? 0;
    let b = -1;
    for (const i of ds.split.heldOut) if (i !== a && ds.teacherPred[i] === ds.teacherPred[a] && live.pred[i] === ds.teacherPred[i]) { b = i; break; }
    studio().setUi({ compare: { ...cmp, a, b: b < 0 ? (a + 1) % ds.N : b, cls: live.pred[a], c1: live.pred[a], c2: ds.teacherPred[a] !== live.pred[a] ? ds.teacherPred[a] : (live.pred[a] + 1) % ds.C } });
  }, [ds, live, cmp]);

  if (!ds || !live || !model || cmp.a == null) return <Panel id="compare" title="Compare" style={{ flex: '38 1 0' }}><p className="empty">Pick two images in the Images view.</p></Panel>;
  const set = (patch: Partial<typeof cmp>) => studio().setUi({ compare: { ...cmp, ...patch }, proposal: null });
  const a = cmp.a;
  const twoImages = cmp.mode === 'images' && cmp.b != null;
  const terms = twoImages ? imagePairTerms(ds, model, a, cmp.b!, cmp.cls) : classPairTerms(ds, model, a, cmp.c1, cmp.c2);
  const total = terms.reduce((s, t) => s + t.value, 0) + (twoImages ? 0 : model.b[cmp.c1] - model.b[cmp.c2]);
  const top = terms.slice(0, TOP);
  const sentences = top.slice(0, 3).map((t) => (twoImages ? imagePairSentence(ds, a, cmp.b!, cmp.cls, t) : classPairSentence(ds, a, cmp.c1, cmp.c2, t)));
  const classSelect = (value: number, onChange: (v: number) => void, label: string) => (
    <select aria-label={label} value={value} onChange={(e) => onChange(Number(e.target.value))}>
      {ds.classes.map((c, k) => <option key={c} value={k}>{c}</option>)}
    </select>
  );
  const C = ds.C;
  const headline = twoImages
    ? `z_${ds.classes[cmp.cls]}(A) − z_${ds.classes[cmp.cls]}(B) = ${total.toFixed(2)}`
    : `z_${ds.classes[cmp.c1]}(A) − z_${ds.classes[cmp.c2]}(A) = ${total.toFixed(2)} (incl. bias ${(model.b[cmp.c1] - model.b[cmp.c2]).toFixed(2)})`;
  return (
    <Panel id="compare" title="Compare" style={{ flex: '38 1 0' }}
      tools={
        <div className="row small" role="radiogroup" aria-label="Compare mode">
          <label className="row"><input type="radio" name="cmpmode" checked={cmp.mode === 'images'} onChange={() => set({ mode: 'images' })} /> two images</label>
          <label className="row"><input type="radio" name="cmpmode" checked={cmp.mode === 'classes'} onChange={() => set({ mode: 'classes' })} /> one image, two classes</label>
        </div>
      }>
      <div className="row wrap" style={{ gap: 12 }}>
        <ImagePick label="A" i={a} onPick={(i) => set({ a: i })} />
        {cmp.mode === 'images' ? (
          <>
            <ImagePick label="B" i={cmp.b} onPick={(i) => set({ b: i })} />
            <label className="row small">for class {classSelect(cmp.cls, (v) => set({ cls: v }), 'Class to compare on')}</label>
          </>
        ) : (
          <label className="row small">why {classSelect(cmp.c1, (v) => set({ c1: v }), 'First class')} and not {classSelect(cmp.c2, (v) => set({ c2: v }), 'Second class')}</label>
        )}
        <span className="small muted">A: teacher {ds.classes[ds.teacherPred[a]]}, student {ds.classes[live.pred[a]]}{twoImages ? ` · B: teacher ${ds.classes[ds.teacherPred[cmp.b!]]}, student ${ds.classes[live.pred[cmp.b!]]}` : ''}</span>
      </div>
      <div className="row" style={{ alignItems: 'flex-start', gap: 12, marginTop: 6 }}>
        <div>
          <div className="small muted num" data-testid="pairwise-total">{headline}</div>
          <DivergingBars width={330} labelWidth={130} ariaLabel="Largest concept differences" data={top.map((t) => ({ key: t.j, label: ds.concepts[t.j], value: t.value }))} />
        </div>
        <div className="grow small">
          <ul style={{ margin: '0 0 6px', paddingLeft: 16 }} aria-label="In plain words">
            {sentences.map((s) => <li key={s}>{s}</li>)}
          </ul>
          {proposal ? (
            <div className="progress" role="group" aria-label="Proposed tuning step">
              <strong>Proposed: {proposal.kind} “{ds.concepts[proposal.concept]}” for {ds.classes[proposal.cls]} ×{proposal.factor}</strong>
              <span className="muted">{proposal.reason} The student is refitted; you can undo it.</span>
              <div className="row">
                <button className="primary" disabled={busy} onClick={() => void studio().confirmProposal()}>Confirm and refit</button>
                <button onClick={() => studio().setUi({ proposal: null })}>Dismiss</button>
              </div>
            </div>
          ) : (
            <button disabled={busy || !top.length} onClick={() => {
              const p = proposeStep(ds, model, live.pred, twoImages ? 'images' : 'classes', a, terms, twoImages ? cmp.cls : cmp.c1, cmp.c2 % C, factor);
              studio().setUi({ proposal: p });
              if (!p) studio().announce('No tuning step to propose for this pair.');
            }}>Turn top difference into a tuning step…</button>
          )}
        </div>
      </div>
    </Panel>
  );
}
