import './zodJitless.ts'; // first: projectFile.ts (the zip guards) uses zod; no CSP-violating eval probe
/**
 * Unpacks a zip of images off the UI thread (a 200 MB zip takes seconds to inflate) with the
 * project file's guards (data/project/imageZip.ts: unsafe names, entry count, unpacked size).
 * Message: { bytes, name } → the ImageZipResult, every entry's bytes transferred back.
 */
import { readImageZip, type ImageZipResult } from '../data/project/imageZip.ts';
import { transferable } from './imageZipTransfer.ts';

export interface ZipRequest { bytes: Uint8Array; name: string }

self.onmessage = (e: MessageEvent<ZipRequest>) => {
  let out: ImageZipResult;
  try {
    out = readImageZip(e.data.bytes, e.data.name);
  } catch (err) {
    out = { ok: false, error: `${e.data.name}: could not be unpacked (${(err as Error)?.message ?? err})` };
  }
  const { result, buffers } = transferable(out);
  (self as unknown as Worker).postMessage(result, buffers);
};
