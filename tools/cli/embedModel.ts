/** Model options shared by `embed` and `concepts`: one way to name and load a CLIP model. */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadClip, type ClipModel } from '../../src/ml/clip.ts';
import type { Device } from '../../src/ml/device.ts';
import type { Dtype } from '../../src/ml/models.ts';
import { CliError } from './io.ts';

export const MODEL_OPTIONS = {
  model: { type: 'string' },
  device: { type: 'string' },
  dtype: { type: 'string' },
  'allow-download': { type: 'boolean' },
} as const;

const REPO_MODELS = join(import.meta.dirname, '../../models/');

/**
 * `--model` is a registry/hub id or a folder under the repo's models/, or a path to a model
 * folder (anything containing config.json): then its parent becomes the local model path.
 */
export function resolveModel(model: string): { id: string; localModelPath: string } {
  const asPath = resolve(model);
  if (existsSync(join(asPath, 'config.json')) && statSync(asPath).isDirectory() && !existsSync(join(REPO_MODELS, model, 'config.json'))) {
    return { id: basename(asPath), localModelPath: dirname(asPath) + '/' };
  }
  return { id: model, localModelPath: REPO_MODELS };
}

export async function loadModelForCli(values: { model?: string; device?: string; dtype?: string; 'allow-download'?: boolean }): Promise<ClipModel> {
  const { id, localModelPath } = resolveModel(values.model!);
  if (values.device && !['cpu', 'auto'].includes(values.device)) throw new CliError(`--device must be cpu here (Node runs onnxruntime-node), got ${values.device}`);
  if (values.dtype && !['fp32', 'fp16', 'q8', 'auto'].includes(values.dtype)) throw new CliError(`--dtype must be fp32, fp16 or q8, got ${values.dtype}`);
  try {
    return await loadClip({
      model: id,
      localModelPath,
      device: (values.device as Device | undefined) ?? 'cpu',
      dtype: values.dtype as Dtype | undefined,
      allowDownload: !!values['allow-download'],
    });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}
