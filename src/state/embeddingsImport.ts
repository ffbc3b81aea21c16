/**
 * "Precomputed embeddings…" (Project › Dataset): read the files the user picked
 * (data/project/embeddingImport: checks and refusals), show what was found, then build a
 * project from them with {@link buildProjectFromEmbeddings}. Without concept text embeddings the
 * concept names are embedded with the text tower of the model that made the image embeddings:
 * the one a .meta.json names, else the registry model whose embedding size equals D (the user
 * picks when several match; none matching is said plainly).
 *
 * Nothing here touches the store: the caller commits the result (the open project stays until
 * the new one is ready, and stays if anything fails).
 */
import { readEmbeddingImport, type EmbeddingImport, type InputFile } from '../data/project/embeddingImport.ts';
import { parseLabelsCsv } from './importScan.ts';
import { parseCorpus } from './demoProject.ts';
import { buildProjectFromEmbeddings, type BuildEmbedder, type BuildResult, type TeacherChoice } from './buildProject.ts';
import type { Engine } from './engine.ts';
import type { Training } from './types.ts';
import type { Progress } from '../core/types.ts';

/** A model the studio knows, as the store's env lists it (src/ml/models.ts). */
export interface KnownModel { id: string; label: string; dim: number | null; hidden?: boolean }

export interface EmbeddingsPreview {
  /** The checked import, or null when it was refused. */
  imp: EmbeddingImport | null;
  problems: string[];
  notes: string[];
  roles: { file: string; role: string }[];
  /** Class → image count (from labels), sorted by name. */
  classes: [string, number][];
  unlabelled: number;
  /** Models whose text tower fits these embeddings (size D), best first. */
  models: KnownModel[];
  /** The model named by the files (.meta.json), when there is one. */
  namedModel: string | null;
  /** One sentence about the model choice, for the user. */
  modelNote: string;
}

const baseName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

/** Which known models can embed concept names for D-dimensional image embeddings. */
export function modelsFor(D: number, named: string | null, known: KnownModel[]): { models: KnownModel[]; note: string } {
  if (named) {
    // The CLI records a registry id, or the model folder's path: match either.
    const hit = known.find((m) => m.id === named) ?? known.find((m) => m.id === baseName(named));
    if (hit && (hit.dim === null || hit.dim === D)) return { models: [hit], note: `Made with ${hit.label} (named in the files).` };
    if (hit) return { models: [], note: `The files name ${hit.label}, but it gives ${hit.dim}-dimensional embeddings and these have ${D}.` };
  }
  const models = known.filter((m) => m.dim === D && !m.hidden);
  const said = named ? `The files name the model "${named}", which this studio does not know. ` : '';
  if (!models.length) {
    const sizes = [...new Set(known.filter((m) => m.dim !== null && !m.hidden).map((m) => m.dim))].join(', ');
    return { models, note: `${said}No model this studio knows gives ${D}-dimensional embeddings (known sizes: ${sizes || 'none'}), so concept names cannot be embedded here: add the concept text embeddings (.npy) and the concept list they were made from.` };
  }
  return { models, note: `${said}${models.length === 1 ? `${models[0].label} gives ${D}-dimensional embeddings.` : `${models.length} models give ${D}-dimensional embeddings: choose the one that made them.`}` };
}

/** Read and check the picked files; never throws for bad input. */
export async function previewEmbeddingFiles(files: InputFile[], known: KnownModel[]): Promise<EmbeddingsPreview> {
  const r = await readEmbeddingImport(files, { parseLabels: parseLabelsCsv });
  if (!r.ok) return { imp: null, problems: r.problems, notes: [], roles: r.roles, classes: [], unlabelled: 0, models: [], namedModel: null, modelNote: '' };
  const imp = r.value;
  const counts = new Map<string, number>();
  let unlabelled = imp.labels ? 0 : imp.N;
  for (const l of imp.labels ?? []) {
    if (l === null) unlabelled++;
    else counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const problems: string[] = [];
  if (!counts.size) problems.push('No classes: the ids are not in class folders and no labels were given. Add a labels CSV (file,label) or a label column.');
  if (counts.size === 1) problems.push(`Only one class (${[...counts.keys()][0]}) in the labels: a student needs at least 2.`);
  const { models, note } = modelsFor(imp.D, imp.model, known);
  if (!imp.concepts?.text && !models.length) problems.push(note);
  return {
    imp, problems, notes: imp.notes, roles: imp.roles,
    classes: [...counts].sort((a, b) => a[0].localeCompare(b[0])), unlabelled,
    models, namedModel: imp.model, modelNote: note,
  };
}

/** XML- and CSS-url-safe placeholder thumbnail: a plain tile labelled with the image's id. */
export function placeholderThumb(id: string): string {
  // The id itself (class folder included); long ids keep their end, where the file name is.
  const label = (id.length > 22 ? `…${id.slice(-21)}` : id).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#e4e7eb"/><text x="32" y="36" font-family="sans-serif" font-size="7" text-anchor="middle" fill="#3d4450">${label}</text></svg>`;
  // encodeURIComponent leaves ( ) ' ! * as they are: encode them too, since the URL sits in CSS url().
  return `data:image/svg+xml,${encodeURIComponent(svg).replace(/[()'!*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

export interface BuildFromImportOptions {
  name: string;
  /** The model whose text tower embeds concept/class names (null: none; needs concept text embeddings and the labels teacher). */
  modelId: string | null;
  teacher: 'labels' | 'zero-shot';
  /** The concept corpus when the files bring no concept list. */
  corpus: { name: string; concepts: string[] } | null;
  allowDownload?: boolean;
  training?: Training;
  engine?: Engine;
  embedder?: BuildEmbedder | null;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** Build a project from a checked import. Throws with a sentence for the user. */
export async function buildFromEmbeddingImport(imp: EmbeddingImport, o: BuildFromImportOptions): Promise<BuildResult> {
  const classes = [...new Set((imp.labels ?? []).filter((l): l is string => l !== null))].sort((a, b) => a.localeCompare(b));
  const at = new Map(classes.map((c, k) => [c, k]));
  const labels = imp.labels ? Int32Array.from(imp.labels, (l) => (l === null ? -1 : at.get(l)!)) : null;
  const corpus = imp.concepts ? { name: 'the imported concept list', concepts: imp.concepts.names } : o.corpus;
  if (!corpus) throw new Error('no concept list: add one (concepts.txt) to the files, or load a corpus');
  const conceptText = imp.concepts?.text ? { rows: imp.concepts.names.length, cols: imp.D, data: imp.concepts.text } : null;
  if (!conceptText && !o.modelId) throw new Error('the concepts need text embeddings: choose the model that made the image embeddings, or add the concept text embeddings (.npy)');
  if (o.teacher === 'zero-shot' && !o.modelId) throw new Error('CLIP zero-shot needs the model that made the embeddings: choose it, or use the labels as the teacher');
  const teacher: TeacherChoice = { kind: o.teacher };
  return buildProjectFromEmbeddings({
    name: o.name,
    ids: imp.ids,
    names: imp.ids,
    thumbs: imp.ids.map(placeholderThumb),
    embeddings: { N: imp.N, R: imp.R, D: imp.D, data: imp.data },
    classes,
    labels,
    corpus,
    conceptText,
    modelId: o.modelId,
    teacher,
    allowDownload: o.allowDownload,
    training: o.training,
    engine: o.engine,
    embedder: o.embedder,
    onProgress: o.onProgress,
    signal: o.signal,
  });
}

/** The general-purpose corpus shipped with the studio (public/corpora/general.txt), for imports without a concept list. */
export async function loadGeneralCorpus(base: string, fetchFn: typeof fetch = fetch): Promise<{ name: string; concepts: string[] }> {
  const r = await fetchFn(`${base}corpora/general.txt`);
  if (!r.ok) throw new Error(`the general concept corpus could not be loaded (HTTP ${r.status}); add a concept list (concepts.txt) to the files`);
  return { name: 'general.txt', concepts: parseCorpus(await r.text()) };
}
