import type { GalleryFilter } from '../../state/types.ts';
import type { StudioState } from '../../state/store.ts';
import { unfamiliarFlags } from '../../state/ood.ts';
import { domainPosteriors } from '../../state/domain.ts';

/** Indices of the images a filter keeps, in dataset order. O(N). */
export function filteredImages(s: StudioState, filter: GalleryFilter, heldOutOnly: boolean): Int32Array {
  const ds = s.dataset;
  const live = s.live;
  if (!ds || !live) return new Int32Array(0);
  const { N } = ds;
  const pred = live.pred;
  const out = new Int32Array(N);
  let n = 0;
  if (filter.kind === 'flipped') {
    const h = s.session?.history;
    const node = h?.nodes[filter.nodeId ?? h.head];
    for (const f of node?.flipped ?? []) if (!heldOutOnly || ds.isTest[f.image]) out[n++] = f.image;
    return out.slice(0, n);
  }
  const flags = filter.kind === 'unfamiliar' ? unfamiliarFlags(ds, s.session ?? null) : null;
  const top = filter.kind === 'domain' ? domainPosteriors(ds, s.session?.state.calibration.domain)?.top ?? null : null;
  for (let i = 0; i < N; i++) {
    if (heldOutOnly && !ds.isTest[i]) continue;
    let keep = true;
    switch (filter.kind) {
      case 'misaligned': keep = pred[i] !== ds.teacherPred[i]; break;
      case 'unfamiliar': keep = flags !== null && flags[i] === 1; break;
      case 'set': keep = ds.sets?.of[i] === filter.set; break;
      case 'domain': keep = top !== null && top[i] === filter.domain; break;
      case 'class': keep = (filter.by === 'student' ? pred[i] : filter.by === 'teacher' ? ds.teacherPred[i] : ds.labels?.[i] ?? -1) === filter.cls; break;
      case 'confusion': {
        const ref = filter.matrix === 'teacher' ? ds.teacherPred[i] : ds.labels?.[i] ?? -1;
        keep = ref === filter.row && pred[i] === filter.col;
        break;
      }
    }
    if (keep) out[n++] = i;
  }
  return out.slice(0, n);
}

export function describeFilter(s: StudioState, f: GalleryFilter): string {
  const ds = s.dataset;
  if (!ds) return '';
  switch (f.kind) {
    case 'all': return 'all images';
    case 'misaligned': return 'misaligned (student ≠ teacher)';
    case 'unfamiliar': return 'unfamiliar (OOD score below the threshold)';
    case 'set': return `set: ${ds.sets?.names[f.set] ?? '?'}`;
    case 'domain': return `condition: ${s.session?.state.calibration.domain?.domains[f.domain]?.prompt ?? '?'}`;
    case 'flipped': {
      const h = s.session?.history;
      const node = h?.nodes[f.nodeId ?? h.head];
      return `flipped by “${node?.label ?? 'last change'}”`;
    }
    case 'class': return `${f.by} says ${ds.classes[f.cls]}`;
    case 'confusion': return `${f.matrix} ${ds.classes[f.row]}, student ${ds.classes[f.col]}`;
  }
}
