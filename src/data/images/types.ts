/**
 * An 8-bit RGB image, interleaved, row-major: what every decoder here produces and what the
 * CLIP preprocessing (src/ml/preprocess.ts, which declares the same shape structurally because
 * ml may not import data) consumes. Alpha is dropped, never composited — as PIL's convert('RGB').
 */
export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes. */
  data: Uint8Array;
}

/** A decoded image plus what the decoder learnt about the file. */
export interface DecodedImage extends RgbImage {
  /** Detected container format. */
  format: ImageFormat;
  /** Size as stored, before the EXIF orientation was applied. */
  storedWidth: number;
  storedHeight: number;
  /** EXIF orientation 1–8 that was applied (1 = none). */
  orientation: number;
  /** Integer box-reduction factor applied because of reduceAbove (1 = none). */
  reducedBy: number;
}

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp';

/** Decoding one file failed; `file` names it so a batch can report and go on. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

export interface DecodeOptions {
  /** Refuse images above this many pixels before decoding them (default 150 MP). */
  maxPixels?: number;
  /**
   * Images above this many pixels (default 40 MP) are box-reduced by the smallest integer factor
   * that brings them under it, right after decoding, so regions, thumbnails and preprocessing
   * never hold several copies of a huge photo. Below it, pixels are exactly the decoder's.
   */
  reduceAbove?: number;
  /** Apply the EXIF orientation (default true, like transformers' load_image / exif_transpose). */
  applyOrientation?: boolean;
}

/**
 * Decoder for formats without a pure-JS decoder here (WebP): the platform provides it —
 * createImageBitmap + OffscreenCanvas in a browser or worker, sharp in Node (tools/cli).
 * Returns RGBA or RGB bytes.
 */
export type PlatformDecoder = (bytes: Uint8Array, format: ImageFormat) => Promise<{ width: number; height: number; data: Uint8Array | Uint8ClampedArray; channels: 3 | 4 }>;
