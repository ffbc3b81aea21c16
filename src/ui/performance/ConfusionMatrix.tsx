import { memo } from 'react';
import { studio, useStudio } from '../../state/useStudio.ts';
import { countColor } from '../components/colors.ts';

/** C×C counts; rows = reference (teacher or truth), cols = student. Cells filter the Images view. */
type Props = { matrix: 'teacher' | 'truth'; counts: Int32Array; classes: string[]; rowName: string };
const same = (a: Props, b: Props) =>
  a.matrix === b.matrix && a.classes === b.classes && a.rowName === b.rowName && a.counts.length === b.counts.length && a.counts.every((v, k) => v === b.counts[k]);

/** Re-renders only when a count changes (a slider move usually changes none or a few). */
export const ConfusionMatrix = memo(function ConfusionMatrix(props: Props) {
  const { counts, classes, matrix, rowName } = props;
  const C = classes.length;
  const filter = useStudio((s) => s.ui.filter);
  let max = 1;
  const rowSums = new Array(C).fill(0);
  for (let r = 0; r < C; r++) for (let c = 0; c < C; c++) rowSums[r] += counts[r * C + c];
  for (let k = 0; k < counts.length; k++) max = Math.max(max, counts[k]);
  const short = (s: string) => (s.length > 7 ? s.slice(0, 6) + '…' : s);
  return (
    <table className="confusion">
      <caption className="small muted" style={{ textAlign: 'left', captionSide: 'top', paddingBottom: 2 }}>
        rows: {rowName}, columns: student
      </caption>
      <thead>
        <tr>
          <th scope="col"><span className="sr-only">{rowName} \ student</span></th>
          {classes.map((c) => <th key={c} scope="col" title={c}>{short(c)}</th>)}
        </tr>
      </thead>
      <tbody>
        {classes.map((rname, r) => (
          <tr key={rname}>
            <th scope="row" className="rowh" title={rname}>{short(rname)}</th>
            {classes.map((cname, c) => {
              const v = counts[r * C + c];
              const on = filter.kind === 'confusion' && filter.matrix === matrix && filter.row === r && filter.col === c;
              const frac = rowSums[r] ? v / rowSums[r] : 0;
              return (
                <td key={cname}>
                  <button
                    aria-pressed={on}
                    aria-label={`${rowName} ${rname}, student ${cname}: ${v} images. Show in Images.`}
                    style={{ background: v ? countColor(frac, r === c) : '#fafbfc', color: '#1d2330' }}
                    onClick={() => studio().setUi({ filter: on ? { kind: 'all' } : { kind: 'confusion', matrix, row: r, col: c }, heldOutOnly: true })}
                  >
                    {v}
                  </button>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}, same);
