/**
 * A loaded model proves itself once on known inputs before anyone trusts its numbers
 * (DESIGN.md "Models"): fp16 drivers and quantised kernels on WebGPU have produced NaNs or
 * garbage without any error (BROWSER-ML.md §1.4). Two fixed prompts must give finite unit
 * vectors that are neither identical nor opposite; a fixed synthetic image must give a finite
 * unit vector of the same size.
 */
import type { ClipModel } from './clip.ts';
import type { RgbImage } from './preprocess.ts';

export const SELF_CHECK_PROMPTS = ['a photo of a dog', 'a photo of a car'] as const;
/** Real CLIP puts these two around 0.8–0.95; anything outside this range means a broken model. */
export const SELF_CHECK_COSINE: [number, number] = [-0.5, 0.9999];

export class ClipSelfCheckError extends Error {
  override name = 'ClipSelfCheckError';
}

/** Returns what is wrong with the embeddings, or null when they look sane. */
export function checkEmbeddings(text: Float32Array, image: Float32Array, dim: number, prompts: readonly [string, string] = SELF_CHECK_PROMPTS): string | null {
  if (dim <= 0) return 'the text tower returned an empty embedding';
  if (image.length !== dim) return `the image embedding has ${image.length} values but the text embedding has ${dim}`;
  const rows: [string, Float32Array][] = [
    [`text "${prompts[0]}"`, text.subarray(0, dim)],
    [`text "${prompts[1]}"`, text.subarray(dim, 2 * dim)],
    ['the test image', image],
  ];
  for (const [what, v] of rows) {
    if (v.some((x) => !Number.isFinite(x))) return `the embedding of ${what} contains NaN or infinite values`;
    const norm = Math.hypot(...v);
    if (Math.abs(norm - 1) > 1e-3) return `the embedding of ${what} is ${norm === 0 ? 'all zeros' : `not unit length (norm ${norm.toFixed(4)})`}`;
  }
  let cos = 0;
  for (let i = 0; i < dim; i++) cos += rows[0][1][i] * rows[1][1][i];
  const [lo, hi] = SELF_CHECK_COSINE;
  if (!(cos >= lo && cos <= hi)) {
    return `the two test prompts have cosine ${cos.toFixed(5)}, outside the sane range [${lo}, ${hi}] (${cos > hi ? 'different texts give the same embedding: is the tokenizer right?' : 'opposite embeddings'})`;
  }
  return null;
}

/** A fixed 32×32 colour gradient with a square: deterministic, no file needed. */
export function selfCheckImage(): RgbImage {
  const w = 32;
  const data = new Uint8Array(w * w * 3);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const inSquare = x > 8 && x < 20 && y > 10 && y < 24;
      data[o] = inSquare ? 220 : x * 8;
      data[o + 1] = inSquare ? 30 : y * 8;
      data[o + 2] = 128;
    }
  }
  return { width: w, height: w, data };
}

export async function runSelfCheck(model: ClipModel): Promise<void> {
  const prompts = model.info.selfCheckPrompts ?? SELF_CHECK_PROMPTS;
  const text = await model.embedTexts([...prompts], ['{}']);
  const image = await model.embedImages([selfCheckImage()]);
  const problem = checkEmbeddings(text, image, model.dim, prompts);
  if (problem) {
    const hint = model.device === 'webgpu' ? ' Try the WASM device or fp32.' : model.dtype !== 'fp32' ? ' Try fp32.' : ' The model files may be damaged.';
    throw new ClipSelfCheckError(`Model "${model.id}" (${model.device}/${model.dtype}) failed its self-check: ${problem}.${hint}`);
  }
}
