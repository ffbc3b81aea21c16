/**
 * "Apply to a folder": run the tuned student over new images and return predictions as CSV.
 * New images need the project's image model (embed worker) and its concepts' text embeddings;
 * the app installs the embedder (app/main.tsx), this file only composes core steps:
 * region embeddings → concept activations (core/concepts) → standardise with the student's
 * statistics → logits of the served student → CSV (data/project/predictionsCsv).
 */
import { conceptActivations } from '../core/concepts/activations.ts';
import { standardise } from '../core/concepts/stats.ts';
import { predictionsCsv } from '../data/project/predictionsCsv.ts';
import type { StudioState } from './store.ts';

export interface NewImage {
  name: string;
  bytes: Uint8Array;
}

/** What an embedder returns for image files (the embed worker's `embedFiles` result). */
export interface Embedded {
  ids: string[];
  embeddings: Float32Array;
  R: number;
  D: number;
  errors: { id: string; message: string }[];
}
/** `model`: the project's image model id (Dataset.imageModel), or null to use the studio's chosen model. */
export type Embedder = (files: { id: string; bytes: Uint8Array }[], opts: { grid: 1 | 2 | 3; pad: boolean; model: string | null }) => Promise<Embedded>;

let embedder: Embedder | null = null;
/** The app installs the embed worker here; tests install a stand-in. */
export function setEmbedder(e: Embedder | null): void {
  embedder = e;
}

/** Why the open project cannot be applied to new images (a sentence for the user), or null if it can. */
export function applyBlocker(s: StudioState): string | null {
  const ds = s.dataset;
  const st = s.session?.state;
  if (!ds || !st?.ensemble) return 'There is no tuned student yet.';
  if (!st.conceptText) {
    const how = ds.source.kind === 'synthetic' ? 'generated synthetically' : ds.source.kind === 'demo' ? 'loaded from the prepared demo cache' : 'imported precomputed';
    return `This project has no image model with concept text embeddings: its concept activations were ${how}, `
      + 'so new images cannot be scored. Build a project from your own images with a CLIP model (Project › Dataset), then apply it to a folder.';
  }
  if (!embedder) return 'The image model is not available in this build, so new images cannot be embedded.';
  return null;
}

/** Embed the images, score them with the served student, and return the CSV text. */
export async function applyToImages(s: StudioState, images: NewImage[]): Promise<{ csv: string; scored: number; failed: number }> {
  const why = applyBlocker(s);
  if (why) throw new Error(why);
  const ds = s.dataset!;
  const st = s.session!.state;
  const ens = st.ensemble!;
  const text = st.conceptText!;
  const ids = images.map((im, k) => `${k}:${im.name}`);
  // A project that knows its image model (the demo) embeds new images exactly as its own were
  // embedded, so the student's standardisation applies to them.
  const model = ds.imageModel ?? null;
  const res = await embedder!(images.map((im, k) => ({ id: ids[k], bytes: im.bytes })), {
    grid: (ds.regionGrid >= 3 ? 3 : ds.regionGrid === 2 ? 2 : 1), pad: model ? model.preprocessing.padToSquare : s.settings.padToSquare, model: model?.id ?? null,
  });
  if (res.ids.length && res.D !== text.cols) throw new Error(`the image model gives ${res.D}-dimensional embeddings but the concepts' text embeddings have ${text.cols}`);
  const raw = conceptActivations({ N: res.ids.length, R: res.R, D: res.D, data: res.embeddings }, text);
  const stats = st.stats ?? ds.stats;
  const ahat = standardise(raw, stats).data;
  const { W, b, C, M } = ens.served;
  const N = res.ids.length;
  const logits = new Float32Array(N * C);
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < C; c++) {
      let z = b[c];
      for (let j = 0; j < M; j++) z += W[c * M + j] * ahat[i * M + j];
      logits[i * C + c] = z;
    }
  }
  const nameOf = (id: string) => id.slice(id.indexOf(':') + 1);
  const failed = res.errors.map((e) => ({ name: nameOf(e.id), message: e.message }));
  return { csv: predictionsCsv(res.ids.map(nameOf), ds.classes, logits, failed), scored: N, failed: failed.length };
}
