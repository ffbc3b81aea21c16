import { useMemo } from 'react';
import { studio, useShallow, useStudio } from '../../state/useStudio.ts';
import type { GalleryFilter } from '../../state/types.ts';
import { Panel } from '../components/Panel.tsx';
import { Gallery } from './Gallery.tsx';
import { ImageDetail } from './ImageDetail.tsx';
import { describeFilter, filteredImages } from './filter.ts';
import { DomainFilterOptions } from '../domain/DomainFilterOptions.tsx';

export function ImagesView() {
  const ds = useStudio((s) => s.dataset);
  const { live, filter, heldOutOnly, image } = useStudio(useShallow((s) => ({ live: s.live, filter: s.ui.filter, heldOutOnly: s.ui.heldOutOnly, image: s.ui.image })));
  // Only filters on the student's predictions follow every slider move; "all" and teacher/truth
  // filters keep the same items (and so the gallery keeps its tiles) for the whole drag.
  const predDependent = filter.kind === 'misaligned' || filter.kind === 'unfamiliar' || filter.kind === 'flipped' || filter.kind === 'confusion' || (filter.kind === 'class' && filter.by === 'student');
  const version = useStudio((s) => (predDependent ? s.liveVersion : 0));
  const head = useStudio((s) => (filter.kind === 'flipped' || filter.kind === 'unfamiliar' ? s.session?.history.head : null));
  const canOod = useStudio((s) => s.session?.state.calibration.ood != null);
  // A new student (refit, undo) brings a new `live`; only filters on its predictions follow it
  // (through `version`), so "all images" is not refiltered over N images when a refit arrives.
  const hasLive = live != null;
  const items = useMemo(() => filteredImages(studio(), filter, heldOutOnly),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [ds, hasLive, filter, heldOutOnly, version, head]);
  if (!ds || !live) return <Panel id="images" title="Images" style={{ flex: '55 1 0' }}><p className="empty">No images yet.</p></Panel>;
  const set = (f: GalleryFilter) => studio().setUi({ filter: f });
  const value = filter.kind === 'class' ? `class:${filter.by}:${filter.cls}` : filter.kind === 'set' ? `set:${filter.set}` : filter.kind === 'domain' ? `domain:${filter.domain}` : filter.kind;
  return (
    <Panel id="images" title="Images" flush style={{ flex: '55 1 0' }} sub={`${items.length.toLocaleString('en')} of ${ds.N.toLocaleString('en')}`}>
      <div className="heat-controls">
        <label className="row small">Show
          <select aria-label="Image filter" value={value} onChange={(e) => {
            const v = e.target.value;
            if (v.startsWith('class:')) {
              const [, by, c] = v.split(':');
              set({ kind: 'class', by: by as 'student', cls: Number(c) });
            } else if (v.startsWith('set:')) set({ kind: 'set', set: Number(v.slice(4)) });
            else if (v.startsWith('domain:')) set({ kind: 'domain', domain: Number(v.slice(7)) });
            else set({ kind: v } as GalleryFilter);
          }}>
            <option value="all">all images</option>
            <option value="misaligned">misaligned (student ≠ teacher)</option>
            <option value="flipped">flipped by last change</option>
            {canOod && <option value="unfamiliar">unfamiliar (OOD flag)</option>}
            {filter.kind === 'confusion' && <option value="confusion">confusion cell</option>}
            {ds.sets && (
              <optgroup label="image set">
                {ds.sets.names.map((n, k) => <option key={n} value={`set:${k}`}>set: {n}</option>)}
              </optgroup>
            )}
            <DomainFilterOptions />
            {(['student', 'teacher', 'truth'] as const).filter((b) => b !== 'truth' || ds.labels).map((by) => (
              <optgroup key={by} label={`${by} class`}>
                {ds.classes.map((c, k) => <option key={c} value={`class:${by}:${k}`}>{by}: {c}</option>)}
              </optgroup>
            ))}
          </select>
        </label>
        <label className="row small"><input type="checkbox" checked={heldOutOnly} onChange={(e) => studio().setUi({ heldOutOnly: e.target.checked })} /> held-out only</label>
        <span className="small muted" title="Each tile's labels, grouped when they agree: TSY rusty = all three say rusty">T teacher · S student{ds.labels ? ' · Y true' : ''}</span>
        {filter.kind !== 'all' && (
          <span className="chip">{describeFilter(studio(), filter)}<button className="link" aria-label="Clear filter" onClick={() => set({ kind: 'all' })}>×</button></span>
        )}
      </div>
      <Gallery ds={ds} items={items} pred={live.pred} selected={image} />
      {image != null && image < ds.N && <ImageDetail i={image} />}
    </Panel>
  );
}
