/**
 * Node's decoder for formats without a pure-JS decoder (WebP): sharp, which transformers.js
 * already depends on. Registered by the CLI and the Node tests; browsers use createImageBitmap.
 */
import type { PlatformDecoder } from '../../src/data/images/index.ts';

export const sharpDecoder: PlatformDecoder = async (bytes) => {
  const { default: sharp } = await import('sharp');
  const { data, info } = await sharp(bytes, { failOn: 'error' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`unexpected ${info.channels}-channel output from sharp`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), channels: 3 };
};
