import type { ReactNode } from 'react';

/** A headed view. The heading text is the view's name (tests and screen readers find views by it). */
export function Panel(props: { id: string; title: string; sub?: ReactNode; tools?: ReactNode; flush?: boolean; children: ReactNode; style?: React.CSSProperties }) {
  const hid = `${props.id}-h`;
  return (
    <section className="panel" aria-labelledby={hid} id={props.id} style={props.style}>
      <header>
        <h2 id={hid}>{props.title}</h2>
        {props.sub != null && <span className="sub">{props.sub}</span>}
        <span className="spacer" />
        {props.tools}
      </header>
      <div className={props.flush ? 'body flush' : 'body'}>{props.children}</div>
    </section>
  );
}
