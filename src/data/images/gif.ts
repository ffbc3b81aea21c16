import { GifReader } from 'omggif';
import type { RgbImage } from './types.ts';

/**
 * First frame of a GIF as PIL's convert('RGB') of frame 0 sees it: the logical screen, filled
 * first with the colour of the transparency (else background) index, then the frame drawn on top;
 * transparent pixels keep that fill colour (PIL drops transparency, it does not composite).
 */
export function decodeGif(bytes: Uint8Array): RgbImage {
  const gif = new GifReader(bytes);
  if (gif.numFrames() < 1) throw new Error('GIF has no frames');
  const { width, height } = gif;
  const info = gif.frameInfo(0);
  const rgba = new Uint8Array(width * height * 4);
  const pal = info.palette_offset;
  const fillIndex = info.transparent_index ?? 0;
  if (pal !== null) {
    for (let i = 0; i < width * height; i++) {
      rgba[i * 4] = bytes[pal + fillIndex * 3];
      rgba[i * 4 + 1] = bytes[pal + fillIndex * 3 + 1];
      rgba[i * 4 + 2] = bytes[pal + fillIndex * 3 + 2];
    }
  }
  gif.decodeAndBlitFrameRGBA(0, rgba);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    out[i * 3] = rgba[i * 4];
    out[i * 3 + 1] = rgba[i * 4 + 1];
    out[i * 3 + 2] = rgba[i * 4 + 2];
  }
  return { width, height, data: out };
}
