/** The image-zip worker's answer as a transfer list (its own file, so Node tests can import it). */
import type { ImageZipResult } from '../data/project/imageZip.ts';

/** Entries owning their whole buffer are transferred; a view into a shared buffer is copied first. */
export function transferable(r: ImageZipResult): { result: ImageZipResult; buffers: ArrayBuffer[] } {
  if (!r.ok) return { result: r, buffers: [] };
  const seen = new Set<ArrayBuffer>();
  const own = <T extends { bytes: Uint8Array }>(e: T): T => {
    const b = e.bytes;
    if (b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !seen.has(b.buffer)) {
      seen.add(b.buffer);
      return e;
    }
    const copy = b.slice();
    seen.add(copy.buffer);
    return { ...e, bytes: copy };
  };
  const result: ImageZipResult = { ok: true, images: r.images.map(own), csv: r.csv && own(r.csv), ignored: r.ignored };
  return { result, buffers: [...seen] };
}
