/**
 * The CLIP-family models the studio knows. Sizes are the ONNX files transformers.js downloads
 * for the two towers (text_model + vision_model, from the Hugging Face file listings; see
 * shared/BROWSER-ML.md §1.3), plus the tokenizer, so the user sees the cost before agreeing.
 */
export type Dtype = 'fp32' | 'fp16' | 'q8';

export interface ModelInfo {
  /** transformers.js id: a hub repo, or a folder name under models/ (served at /models/). */
  id: string;
  label: string;
  /** 'bundled' ships with the studio (offline); 'hub' needs a one-time download. */
  source: 'bundled' | 'hub';
  /** Embedding size D of both towers; null when only the loaded model can tell. */
  dim: number | null;
  /** Approximate first-load download in MB per dtype (text + vision + tokenizer). */
  downloadMB: Partial<Record<Dtype, number>>;
  /** One line for the model picker. */
  goodFor: string;
  /** How the text tower wants its batch padded (MobileCLIP's text graph has a fixed length 77). */
  textPadding: 'longest' | 'max_length';
  /** Padded length for 'max_length' (otherwise the tokenizer's model_max_length truncates). */
  maxTextLength: number;
  /** dtypes whose ONNX files exist (null: unknown, try the preferred one). */
  dtypes: readonly Dtype[] | null;
  /** Test fixtures are hidden from the picker. */
  hidden?: boolean;
  /**
   * Two different prompts for the load-time self-check, for models whose vocabulary lacks the
   * general ones (a domain model maps "dog" and "car" to the same unknown token).
   */
  selfCheckPrompts?: readonly [string, string];
}

export const MODELS: readonly ModelInfo[] = [
  {
    id: 'demo-clip',
    label: 'Demo CLIP (bundled)',
    source: 'bundled',
    dim: null,
    downloadMB: {},
    goodFor: 'the bundled demo project, offline; not meant for your own images',
    dtypes: ['fp32', 'q8'],
    // Its word-level vocabulary knows machine parts only (tools/demo).
    selfCheckPrompts: ['a photo of a rusty bolt', 'a photo of a red gear'],
    textPadding: 'longest',
    maxTextLength: 77,
  },
  {
    id: 'Xenova/clip-vit-base-patch32',
    label: 'CLIP ViT-B/32 (OpenAI)',
    source: 'hub',
    dim: 512,
    downloadMB: { fp32: 608, fp16: 305, q8: 156 },
    goodFor: 'the default: fast, the best-studied concept scores, works on any laptop',
    dtypes: ['fp32', 'fp16', 'q8'],
    textPadding: 'longest',
    maxTextLength: 77,
  },
  {
    id: 'Xenova/clip-vit-base-patch16',
    label: 'CLIP ViT-B/16 (OpenAI)',
    source: 'hub',
    dim: 512,
    downloadMB: { fp32: 601, fp16: 302, q8: 154 },
    goodFor: 'finer detail and small objects, about 4× the compute of B/32 per image',
    dtypes: ['fp32', 'fp16', 'q8'],
    textPadding: 'longest',
    maxTextLength: 77,
  },
  {
    id: 'Xenova/mobileclip_s0',
    label: 'MobileCLIP-S0 (Apple)',
    source: 'hub',
    dim: 512,
    downloadMB: { fp32: 218, fp16: 110, q8: 57 },
    goodFor: 'the smallest download and the fastest image tower; for slow machines and large folders',
    dtypes: ['fp32', 'fp16', 'q8'],
    textPadding: 'max_length',
    maxTextLength: 77,
  },
  {
    id: 'tiny-clip',
    label: 'Tiny CLIP test fixture',
    source: 'bundled',
    dim: 16,
    downloadMB: {},
    goodFor: 'tests only: random weights with the CLIP file contract',
    dtypes: ['fp32', 'q8'],
    textPadding: 'longest',
    maxTextLength: 16,
    hidden: true,
  },
];

/** Registry entry for an id; unknown ids (a user's own folder under models/) get CLIP defaults. */
export function modelInfo(id: string): ModelInfo {
  return (
    MODELS.find((m) => m.id === id) ?? {
      id,
      label: id,
      source: id.includes('/') ? 'hub' : 'bundled',
      dim: null,
      downloadMB: {},
      goodFor: 'a model folder you provided',
      dtypes: null,
      textPadding: 'longest',
      maxTextLength: 77,
    }
  );
}
