/** Image decoding for the studio: DOM-free, identical in Node and in workers. */
export { decodeImage, decodeBatch, sniffFormat, probeSize, setPlatformDecoder, boxReduce, DEFAULT_MAX_PIXELS, DEFAULT_REDUCE_ABOVE } from './decode.ts';
export type { BatchItem, BatchResult } from './decode.ts';
export { thumbnail, encodeJpeg, encodeJpegAsync } from './thumbnail.ts';
export { applyOrientation, jpegOrientation } from './orientation.ts';
export { ImageDecodeError } from './types.ts';
export { trimJpegMemory } from './jpegDecoder.ts';
export type { RgbImage, DecodedImage, ImageFormat, DecodeOptions, PlatformDecoder } from './types.ts';
