/**
 * CLIP towers through transformers.js: the text tower and the vision tower are loaded separately
 * (CLIPTextModelWithProjection / CLIPVisionModelWithProjection) so concept texts are embedded
 * once and cached, and images never pay for the text tower (BROWSER-ML.md §0.3). The same file
 * runs in Node (onnxruntime-node) and in a worker (onnxruntime-web); images are preprocessed by
 * our own PIL-exact code (preprocess.ts) and fed as a pixel_values tensor we build ourselves.
 *
 * Loading is a lazy singleton per (model, device, dtype, folder): concurrent callers share one
 * load *promise*; a failed load is forgotten so a retry starts afresh.
 */
import {
  env, AutoTokenizer, AutoImageProcessor, CLIPTextModelWithProjection, CLIPVisionModelWithProjection, Tensor,
} from '@huggingface/transformers';
import { chooseDevice, availableDtype, type DeviceRequest, type Device } from './device.ts';
import { modelInfo, type Dtype, type ModelInfo } from './models.ts';
import { preprocessBatch, preprocessConfigFromJson, regionCount, type PreprocessConfig, type RegionOptions, type RgbImage } from './preprocess.ts';
import { runSelfCheck } from './selfCheck.ts';
export { ClipSelfCheckError } from './selfCheck.ts';

export interface LoadProgress {
  status: string;
  /** File inside the model folder, e.g. onnx/vision_model_quantized.onnx. */
  file?: string;
  loaded?: number;
  total?: number;
  /** 0–100 for this file. */
  progress?: number;
}

export interface ClipOptions extends DeviceRequest {
  /** Registry id, hub id, or a folder name under localModelPath. */
  model: string;
  /** The user agreed to download from the Hugging Face hub; otherwise only local folders load. */
  allowDownload?: boolean;
  /** Where model folders live: '/models/' in a browser; the repo's models/ folder in Node. */
  localModelPath?: string;
  onProgress?: (p: LoadProgress) => void;
  /** Run the self-check after loading (default true). */
  selfCheck?: boolean;
}

export interface ClipModel {
  readonly id: string;
  readonly info: ModelInfo;
  readonly device: Device;
  readonly dtype: Dtype;
  /** Why this device and dtype, in words. */
  readonly reason: string;
  /** Embedding size D. */
  readonly dim: number;
  readonly preprocess: PreprocessConfig;
  /** n × D L2-normalised text embeddings; with templates, the renormalised mean over templates. */
  embedTexts(texts: string[], templates?: string[]): Promise<Float32Array>;
  /** Vision tower on ready pixel_values [B,3,H,W] → B × D, L2-normalised. */
  embedPixels(pixels: Float32Array, dims: readonly number[]): Promise<Float32Array>;
  /** Preprocess (regions included) and embed: N × R × D, L2-normalised, image-major. */
  embedImages(images: RgbImage[], opts?: RegionOptions): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export class ClipLoadError extends Error {
  override name = 'ClipLoadError';
}

/** Default prompt template (METHODS.md §1). `{}` or `{concept}` marks where the concept goes. */
export const DEFAULT_TEMPLATE = 'a photo of {concept}';

export function fillTemplate(template: string, text: string): string {
  return /\{(concept)?\}/.test(template) ? template.replace(/\{(concept)?\}/g, text) : `${template} ${text}`;
}

/** L2-normalises each row of an n × d matrix in place (a zero row stays zero). */
export function normaliseRows(x: Float32Array, d: number): Float32Array {
  for (let r = 0; r < x.length / d; r++) {
    let s = 0;
    for (let i = r * d; i < (r + 1) * d; i++) s += x[i] * x[i];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = r * d; i < (r + 1) * d; i++) x[i] *= inv;
  }
  return x;
}

const TEXT_BATCH = 64;
const IMAGE_BATCH = 8;

function defaultModelPath(): string {
  const isBrowser = typeof self !== 'undefined' && typeof (self as { location?: unknown }).location !== 'undefined';
  if (isBrowser) return '/models/';
  // Node: the repo's models/ folder, two levels above this file (no node:url import, so this
  // module still bundles for the browser).
  return decodeURIComponent(new URL(/* @vite-ignore */ '../../models/', import.meta.url).pathname);
}

const loads = new Map<string, Promise<ClipModel>>();

/** Load (once) and self-check a CLIP model. Concurrent calls with the same options share one load. */
export function loadClip(opts: ClipOptions): Promise<ClipModel> {
  const key = JSON.stringify([opts.model, opts.device ?? 'auto', opts.dtype ?? 'auto', opts.localModelPath ?? '', !!opts.allowDownload]);
  let p = loads.get(key);
  if (!p) {
    const forget = () => {
      if (loads.get(key) === p) loads.delete(key);
    };
    p = doLoad(opts, forget);
    loads.set(key, p);
    p.catch(forget);
  }
  return p;
}

/** Forget (and dispose) every loaded model; tests and "switch model" use it. */
export async function unloadAll(): Promise<void> {
  const all = [...loads.values()];
  loads.clear();
  await Promise.all(all.map((p) => p.then((m) => m.dispose(), () => undefined)));
}

async function doLoad(opts: ClipOptions, forget: () => void): Promise<ClipModel> {
  const info = modelInfo(opts.model);
  const choice = availableDtype(await chooseDevice(opts), info.dtypes);
  // Offline unless the user agreed to a download: a missing file is then a clear error, never a
  // silent request to the hub. With a download agreed for a hub model, skip the local probe: a
  // static host without real 404s would answer index.html, which transformers.js cannot parse.
  env.allowRemoteModels = !!opts.allowDownload;
  env.allowLocalModels = !(opts.allowDownload && info.source === 'hub');
  env.localModelPath = opts.localModelPath ?? defaultModelPath();
  const progress_callback = opts.onProgress
    ? (d: Record<string, unknown>) =>
        opts.onProgress!({ status: String(d.status), file: d.file as string | undefined, loaded: d.loaded as number | undefined, total: d.total as number | undefined, progress: d.progress as number | undefined })
    : undefined;
  const towerOpts = { device: choice.device, dtype: choice.dtype, progress_callback } as const;
  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  let textModel: Awaited<ReturnType<typeof CLIPTextModelWithProjection.from_pretrained>>;
  let visionModel: Awaited<ReturnType<typeof CLIPVisionModelWithProjection.from_pretrained>>;
  let processorConfig: Record<string, unknown>;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(opts.model, { progress_callback });
    processorConfig = (await AutoImageProcessor.from_pretrained(opts.model, { progress_callback })).config as Record<string, unknown>;
    textModel = await CLIPTextModelWithProjection.from_pretrained(opts.model, towerOpts);
    visionModel = await CLIPVisionModelWithProjection.from_pretrained(opts.model, towerOpts);
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    const where = opts.allowDownload ? 'locally or on the hub' : `in ${env.localModelPath}${opts.model} (downloads are off)`;
    throw new ClipLoadError(`Could not load model "${opts.model}" on ${choice.device}/${choice.dtype}: ${msg}. Looked ${where}.`);
  }
  const preprocess = preprocessConfigFromJson(processorConfig);
  let dim = 0;

  async function embedTextsOnce(texts: string[]): Promise<Float32Array> {
    const chunks: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += TEXT_BATCH) {
      const batch = texts.slice(i, i + TEXT_BATCH);
      const inputs = info.textPadding === 'max_length'
        ? tokenizer(batch, { padding: 'max_length', truncation: true, max_length: info.maxTextLength })
        : tokenizer(batch, { padding: true, truncation: true }); // truncates at the tokenizer's model_max_length
      const { text_embeds } = await textModel(inputs);
      chunks.push(toF32(text_embeds));
      text_embeds.dispose?.();
    }
    return concat(chunks);
  }

  async function embedPixels(pixels: Float32Array, dims: readonly number[]): Promise<Float32Array> {
    const [B, C, H, W] = dims;
    const per = C * H * W;
    const chunks: Float32Array[] = [];
    for (let b = 0; b < B; b += IMAGE_BATCH) {
      const n = Math.min(IMAGE_BATCH, B - b);
      const t = new Tensor('float32', pixels.subarray(b * per, (b + n) * per), [n, C, H, W]);
      const { image_embeds } = await visionModel({ pixel_values: t });
      chunks.push(toF32(image_embeds));
      image_embeds.dispose?.();
    }
    const out = concat(chunks);
    return normaliseRows(out, out.length / B);
  }

  const model: ClipModel = {
    id: opts.model,
    info,
    device: choice.device,
    dtype: choice.dtype,
    reason: choice.reason,
    get dim() {
      return dim;
    },
    preprocess,
    async embedTexts(texts, templates = [DEFAULT_TEMPLATE]) {
      if (texts.length === 0) return new Float32Array(0);
      const sum = new Float32Array(texts.length * dim);
      for (const t of templates) {
        const e = normaliseRows(await embedTextsOnce(texts.map((x) => fillTemplate(t, x))), dim);
        for (let i = 0; i < sum.length; i++) sum[i] += e[i];
      }
      return normaliseRows(sum, dim);
    },
    embedPixels,
    async embedImages(images, ropts = {}) {
      const out = new Float32Array(images.length * regionCount(ropts.grid ?? 1) * dim);
      // Preprocess per model batch so peak memory stays at one batch of pixel_values.
      const per = Math.max(1, Math.floor(IMAGE_BATCH / regionCount(ropts.grid ?? 1)));
      for (let i = 0; i < images.length; i += per) {
        const { data, dims } = preprocessBatch(images.slice(i, i + per), preprocess, ropts);
        out.set(await embedPixels(data, dims), i * regionCount(ropts.grid ?? 1) * dim);
      }
      return out;
    },
    async dispose() {
      // The next loadClip with these options loads afresh instead of returning a dead model.
      forget();
      await Promise.all([textModel.dispose(), visionModel.dispose()]);
    },
  };
  const probe = await embedTextsOnce(['a photo']);
  dim = probe.length;
  if (opts.selfCheck !== false) await runSelfCheck(model);
  return model;
}

/**
 * A copy of an output as Float32Array. fp16 exports may return float16 outputs, held in a
 * Uint16Array where Float16Array is missing; Tensor.to('float32') decodes those correctly.
 */
function toF32(t: InstanceType<typeof Tensor>): Float32Array {
  return new Float32Array((t.type === 'float32' ? t : t.to('float32')).data as Float32Array);
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
