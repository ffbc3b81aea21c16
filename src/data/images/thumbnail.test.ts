import { describe, expect, it } from 'vitest';
import { decodeImage, encodeJpeg, thumbnail } from './index.ts';

describe('thumbnails', () => {
  it('encode to JPEG where there is no Buffer (browsers, workers), and leave no Buffer behind', async () => {
    const g = globalThis as { Buffer?: unknown };
    const saved = g.Buffer;
    const img = { width: 20, height: 10, data: new Uint8Array(600).map((_, i) => (i * 37) % 256) };
    delete g.Buffer;
    let bytes: Uint8Array;
    try {
      bytes = encodeJpeg(thumbnail(img, 8));
      expect(g.Buffer).toBeUndefined();
    } finally {
      g.Buffer = saved;
    }
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    const back = await decodeImage(bytes, 'thumb.jpg');
    expect([back.width, back.height]).toEqual([8, 4]);
  });
});
