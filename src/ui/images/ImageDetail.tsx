import { useState } from 'react';
import { studio, useStudio } from '../../state/useStudio.ts';
import { Thumb } from '../components/Thumb.tsx';
import { DivergingBars } from '../components/DivergingBars.tsx';
import { ModelView } from './ModelView.tsx';
import { DomainChip } from '../domain/DomainChip.tsx';
import { contributions } from '../../core/explain/contributions.ts';

/** One image: labels, per-concept contributions to a class (they sum with the bias to the logit), best crops. */
export function ImageDetail({ i }: { i: number }) {
  const ds = useStudio((s) => s.dataset)!;
  const live = useStudio((s) => s.live)!;
  useStudio((s) => s.settled);
  const [clsSel, setCls] = useState<number | null>(null);
  const { C, M } = ds;
  const s = live.pred[i];
  const t = ds.teacherPred[i];
  const y = ds.labels ? ds.labels[i] : -1;
  const cls = clsSel ?? s;
  const model = studio().ensemble!.served;
  // Core's per-image explanation: the terms plus the bias sum to the logit exactly.
  const ex = contributions(model, ds.ahat.subarray(i * M, (i + 1) * M), cls);
  const contrib = ex.values;
  const sum = ex.logit;
  const order = Array.from({ length: M }, (_, j) => j).sort((a, b) => Math.abs(contrib[b]) - Math.abs(contrib[a]));
  // Every concept that moves the logit, largest first; the list scrolls inside the detail pane.
  const top = order.filter((j) => Math.abs(contrib[j]) > 5e-4).slice(0, 40);
  const crops = order.filter((j) => contrib[j] > 0).slice(0, 4);
  const seed = ds.source.kind === 'synthetic' ? ds.source.seed : 0;
  const z = live.logit(i, cls);
  return (
    <div className="detail image-detail" aria-label={`Details of ${ds.imageNames[i]}`} role="region">
      <div className="row" style={{ alignItems: 'flex-start', gap: 10 }}>
        <ModelView ds={ds} i={i} part="image" />
        <div className="grow">
          <div className="row"><strong className="ellipsis grow">{ds.imageNames[i]}</strong><span className="small muted">{ds.isTest[i] ? 'held-out' : 'distillation split'}</span></div>
          <div className="small">
            Teacher: <strong>{ds.classes[t]}</strong> ({(ds.teacher.data[i * C + t] * 100).toFixed(0)} %) · Student: <strong className={s !== t ? 'neg' : ''}>{ds.classes[s]}</strong>
            {y >= 0 && <> · True: <strong>{ds.classes[y]}</strong></>}
          </div>
          <DomainChip i={i} />
          <div className="row wrap" style={{ marginTop: 4 }}>
            <button onClick={() => studio().setUi({ compare: { ...studio().ui.compare, a: i, mode: 'images', cls: s } })}>Compare as A</button>
            <button onClick={() => studio().setUi({ compare: { ...studio().ui.compare, b: i, mode: 'images' } })}>Compare as B</button>
            <button onClick={() => studio().setUi({ compare: { ...studio().ui.compare, a: i, mode: 'classes', c1: s, c2: s !== t ? t : (s + 1) % C } })}>Explain: why {ds.classes[s]}?</button>
          </div>
          <ModelView ds={ds} i={i} part="note" />
          <div className="crops small" style={{ marginTop: 4 }}>
            <span>Best crops:</span>
            {crops.map((j) => (
              <span key={j} className="crop" title={`${ds.concepts[j]}: best crop`}>
                <Thumb i={i} seed={seed} url={ds.thumbs?.[i]} size={34} region={ds.bestRegion ? ds.bestRegion[i * M + j] : 0} grid={ds.regionGrid} alt={`best crop for ${ds.concepts[j]}`} />
                <span className="ellipsis" style={{ maxWidth: 70 }}>{ds.concepts[j]}</span>
              </span>
            ))}
          </div>
        </div>
      </div>
      <div className="row small" style={{ marginTop: 6 }}>
        <label className="row">Contributions to
          <select value={cls} onChange={(e) => setCls(Number(e.target.value))}>
            {ds.classes.map((c, k) => <option key={c} value={k}>{c}{k === s ? ' (student)' : k === t ? ' (teacher)' : ''}</option>)}
          </select>
        </label>
        <span className="muted num" data-testid="logit-sum">bias {model.b[cls].toFixed(2)} + Σ {M} concepts {(sum - model.b[cls]).toFixed(2)} = logit {sum.toFixed(2)} (z = {z.toFixed(2)})</span>
      </div>
      <div className="contrib-scroll" tabIndex={0} role="group" aria-label={`Contributions to ${ds.classes[cls]}, ${top.length} concepts (scrolls)`}>
      <DivergingBars width={400} labelWidth={140} ariaLabel={`Top concept contributions to ${ds.classes[cls]}`}
        data={top.map((j) => ({ key: j, label: ds.concepts[j], value: contrib[j], title: `${ds.concepts[j]}: w ${model.W[cls * M + j].toFixed(2)} × â ${ds.ahat[i * M + j].toFixed(2)} = ${contrib[j].toFixed(3)}` }))} />
      </div>
    </div>
  );
}
