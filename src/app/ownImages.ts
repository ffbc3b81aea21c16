/**
 * Wiring for "build a project from your own images": the embed worker per model (the demo CLIP
 * shares the demo's worker), the model's description for the export (its preprocessor_config.json
 * from models/<id>/, or from the hub when the user agreed to download it), and the ONNX teacher
 * worker. state/buildProject.ts only sees the injected functions.
 */
import { setBuildEmbedder, setOnnxTeacherRunner, type BuildEmbedder } from '../state/buildProject.ts';
import { imageModelFromPreprocessor } from '../state/demoProject.ts';
import type { ImageModel } from '../state/types.ts';
import { createEmbedClient, type EmbedClient } from '../workers/embedClient.ts';
import { createTeacherClient, type TeacherClient } from '../workers/teacherClient.ts';
import { unzipImagesInWorker } from '../workers/imageZipClient.ts';
import { setImageZipReader } from '../state/ownImages.ts';
import { DEMO_MODEL, demoEmbedClient } from './demoProject.ts';

const BASE = import.meta.env.BASE_URL;
const clients = new Map<string, EmbedClient>();

/** One embed worker per model (and download permission); the demo CLIP uses the demo's. */
export function embedClientFor(modelId: string, allowDownload = false): EmbedClient {
  if (modelId === DEMO_MODEL) return demoEmbedClient();
  const key = `${modelId}|${allowDownload}`;
  let c = clients.get(key);
  if (!c) clients.set(key, (c = createEmbedClient({ model: modelId, localModelPath: `${BASE}models/`, allowDownload })));
  return c;
}

async function preprocessorConfig(id: string, allowDownload: boolean): Promise<Record<string, unknown>> {
  const urls = [`${BASE}models/${id}/preprocessor_config.json`];
  if (allowDownload && id.includes('/')) urls.push(`https://huggingface.co/${id}/resolve/main/preprocessor_config.json`);
  let last: unknown = null;
  for (const url of urls) {
    try {
      const r = await fetch(url);
      // A missing local file can come back as the app's index.html (SPA fallback): only JSON counts.
      if (r.ok && (r.headers.get('content-type') ?? '').includes('json')) return (await r.json()) as Record<string, unknown>;
      last = new Error(`${url}: HTTP ${r.status}`);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

export function installOwnImages(): void {
  // Inflating a zip of images takes seconds for a large one: never on the page's thread.
  setImageZipReader((bytes, name) => unzipImagesInWorker(bytes, name));
  setBuildEmbedder((modelId, { pad, allowDownload }): BuildEmbedder => {
    const c = embedClientFor(modelId, allowDownload);
    return {
      async describe() {
        const st = await c.load();
        const imageModel: ImageModel | null = await preprocessorConfig(modelId, allowDownload)
          .then((cfg) => imageModelFromPreprocessor(modelId, st.dim, cfg, pad))
          .catch((e) => {
            console.warn(`no preprocessor description for ${modelId}; the export will be activation-only:`, e);
            return null;
          });
        return { imageModel, description: `${modelId} (${st.device} · ${st.dtype}, embedded in this browser)` };
      },
      embedTexts: (texts, templates, signal) => c.embedTexts(texts, templates, { signal }),
      embedFiles: (files, o, call) => c.embedFiles(files, { grid: o.grid, pad: o.pad, batchSize: 16, thumbnailSide: o.thumbnailSide }, { signal: call.signal, onProgress: call.onProgress }),
    };
  });
  let teacher: TeacherClient | null = null;
  setOnnxTeacherRunner((t, files, call) =>
    (teacher ??= createTeacherClient()).run({ name: t.modelName, bytes: t.model }, { name: t.labelsName, text: t.labelsText }, files, call.signal));
}
