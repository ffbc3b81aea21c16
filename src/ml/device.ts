/**
 * Where and at what precision CLIP runs (DESIGN.md "Models"). Rules:
 * - a WebGPU adapter → WebGPU, fp16 when the adapter has shader-f16, else fp32;
 * - no adapter → WASM with q8 weights (4× smaller download, fast integer kernels);
 * - never quantised weights on WebGPU: q8/q4 there has produced silently wrong embeddings
 *   (transformers.js#1728), so a q8 request on WebGPU is served as fp16/fp32 instead;
 * - Node → onnxruntime-node's CPU provider, fp32 unless asked otherwise;
 * - `device: 'webgpu'` does not fall back inside transformers.js, so we check the adapter first.
 * The choice comes back with a sentence saying why, for the UI and the logs.
 */
import type { Dtype } from './models.ts';

export type Device = 'webgpu' | 'wasm' | 'cpu';

export interface DeviceChoice {
  device: Device;
  dtype: Dtype;
  reason: string;
}

export interface DeviceRequest {
  device?: Device | 'auto';
  dtype?: Dtype | 'auto';
}

/** The part of a GPUAdapter we read (typed structurally: core/ml build without WebGPU types). */
export interface AdapterLike {
  features: { has(name: string): boolean };
}

export interface Environment {
  isNode: boolean;
  /** navigator.gpu.requestAdapter, or null where WebGPU is absent. */
  requestAdapter: (() => Promise<AdapterLike | null>) | null;
}

export function currentEnvironment(): Environment {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined' && typeof self === 'undefined';
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<AdapterLike | null> } } }).navigator?.gpu;
  return { isNode, requestAdapter: gpu ? () => gpu.requestAdapter() : null };
}

export async function chooseDevice(req: DeviceRequest = {}, env: Environment = currentEnvironment()): Promise<DeviceChoice> {
  const wantDevice = req.device ?? 'auto';
  const wantDtype = req.dtype ?? 'auto';
  if (env.isNode || wantDevice === 'cpu') {
    const dtype = wantDtype === 'auto' ? 'fp32' : wantDtype;
    return { device: 'cpu', dtype, reason: `native onnxruntime (CPU), ${dtype}${wantDtype === 'auto' ? ' (the most accurate; pass a dtype to change it)' : ' as requested'}` };
  }
  let adapter: AdapterLike | null = null;
  let adapterNote = 'this browser has no WebGPU';
  if (wantDevice !== 'wasm' && env.requestAdapter) {
    try {
      adapter = await env.requestAdapter();
      adapterNote = adapter ? '' : 'WebGPU is present but offered no adapter (blocked GPU or driver)';
    } catch (e) {
      adapterNote = `WebGPU adapter request failed (${(e as Error).message})`;
    }
  }
  if (wantDevice === 'wasm' || !adapter) {
    const dtype = wantDtype === 'auto' ? 'q8' : wantDtype;
    const why = wantDevice === 'wasm' ? 'WASM as requested' : wantDevice === 'webgpu' ? `WebGPU was requested but ${adapterNote}; using WASM` : `WASM: ${adapterNote}`;
    return { device: 'wasm', dtype, reason: `${why}, ${dtype}${wantDtype === 'auto' ? ' (quantised weights: smallest download, fast on CPU)' : ''}` };
  }
  const f16 = adapter.features.has('shader-f16');
  const best: Dtype = f16 ? 'fp16' : 'fp32';
  if (wantDtype === 'q8') {
    return { device: 'webgpu', dtype: best, reason: `WebGPU, ${best}: quantised weights are not used on WebGPU (they can give wrong embeddings there)` };
  }
  if (wantDtype === 'fp16' && !f16) {
    return { device: 'webgpu', dtype: 'fp32', reason: 'WebGPU, fp32: fp16 was requested but this adapter lacks shader-f16' };
  }
  const dtype = wantDtype === 'auto' ? best : wantDtype;
  return { device: 'webgpu', dtype, reason: `WebGPU, ${dtype}${wantDtype === 'auto' ? (f16 ? ' (adapter supports shader-f16)' : ' (adapter lacks shader-f16)') : ' as requested'}` };
}

/**
 * The dtype to load when the model folder lacks the preferred file (e.g. a bundled model that
 * ships fp32 and q8 only): fp16 → fp32, and q8 → fp32 as the last resort.
 */
export function availableDtype(choice: DeviceChoice, available: readonly Dtype[] | null): DeviceChoice {
  if (!available || available.includes(choice.dtype)) return choice;
  const fallback: Dtype = available.includes('fp32') ? 'fp32' : available[0];
  return { ...choice, dtype: fallback, reason: `${choice.reason}; the model has no ${choice.dtype} files, so ${fallback}` };
}
