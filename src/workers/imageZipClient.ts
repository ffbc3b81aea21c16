/**
 * The UI side of imageZip.worker.ts: one short-lived worker per zip, so inflating a large zip
 * never blocks the page. The zip's bytes are transferred (the caller's copy becomes empty).
 */
import type { ImageZipResult } from '../data/project/imageZip.ts';
import type { ZipRequest } from './imageZip.worker.ts';

export function unzipImagesInWorker(
  bytes: Uint8Array,
  name: string,
  spawn: () => Worker = () => new Worker(new URL('./imageZip.worker.ts', import.meta.url), { type: 'module', name: 'image-zip' }),
): Promise<ImageZipResult> {
  return new Promise((resolve) => {
    const w = spawn();
    const done = (r: ImageZipResult) => {
      w.terminate();
      resolve(r);
    };
    w.onmessage = (e: MessageEvent<ImageZipResult>) => done(e.data);
    w.onerror = (e) => done({ ok: false, error: `${name}: could not be unpacked (${e.message || 'the unpacking worker failed'})` });
    w.onmessageerror = () => done({ ok: false, error: `${name}: could not be unpacked (the unpacked files could not be passed back)` });
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
    w.postMessage({ bytes: own, name } satisfies ZipRequest, [own.buffer as ArrayBuffer]);
  });
}
