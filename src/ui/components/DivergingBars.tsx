/** Horizontal diverging bars around zero: blue right (for), orange left (against). */
export interface BarDatum {
  key: string | number;
  label: string;
  value: number;
  /** Optional uncertainty band [lo, hi] drawn behind the bar. */
  band?: [number, number];
  title?: string;
}

export function DivergingBars(props: { data: BarDatum[]; max?: number; width?: number; rowHeight?: number; labelWidth?: number; ariaLabel: string }) {
  const { data, width = 300, rowHeight = 16, labelWidth = 130 } = props;
  const max = props.max ?? Math.max(1e-6, ...data.map((d) => Math.max(Math.abs(d.value), ...(d.band ? d.band.map(Math.abs) : []))));
  const plotW = width - labelWidth - 44;
  const x0 = labelWidth + plotW / 2;
  const sx = (v: number) => (v / max) * (plotW / 2);
  return (
    <svg width={width} height={data.length * rowHeight + 2} role="img" aria-label={props.ariaLabel}>
      <line x1={x0} x2={x0} y1={0} y2={data.length * rowHeight} stroke="#c3c8d0" />
      {data.map((d, k) => {
        const y = k * rowHeight;
        const w = sx(d.value);
        return (
          <g key={d.key}>
            <title>{d.title ?? `${d.label}: ${d.value.toFixed(3)}`}</title>
            <text x={labelWidth - 6} y={y + rowHeight * 0.72} textAnchor="end" fontSize={11} fill="#1d2330">
              {d.label.length > 22 ? d.label.slice(0, 21) + '…' : d.label}
            </text>
            {d.band && (
              <rect x={x0 + sx(Math.min(d.band[0], d.band[1]))} width={Math.max(1, Math.abs(sx(d.band[1]) - sx(d.band[0])))} y={y + rowHeight / 2 - 1} height={2} fill="#8a929e" />
            )}
            <rect x={w >= 0 ? x0 : x0 + w} width={Math.max(1, Math.abs(w))} y={y + 3} height={rowHeight - 6} fill={d.value >= 0 ? 'var(--pos)' : 'var(--neg)'} rx={1} />
            <text x={width - 2} y={y + rowHeight * 0.72} textAnchor="end" fontSize={10.5} fill="#5b6472" className="num">
              {d.value >= 0 ? '+' : ''}{d.value.toFixed(2)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
