import { useLayoutEffect, useState, type RefObject } from 'react';

export interface ClientSize { w: number; h: number }

/**
 * An element's client width and height, following resizes (ResizeObserver); `initial` until the
 * element is laid out. `attach` re-attaches the observer when it changes (an element that is only
 * rendered in some states). A size that did not change does not re-render.
 */
export function useClientSize(ref: RefObject<HTMLElement | null>, initial: ClientSize, attach?: unknown): ClientSize {
  const [size, setSize] = useState(initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const read = () => setSize((s) => (s.w === el.clientWidth && s.h === el.clientHeight ? s : { w: el.clientWidth, h: el.clientHeight }));
    const ro = new ResizeObserver(read);
    ro.observe(el);
    read();
    return () => ro.disconnect();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [attach]);
  return size;
}
