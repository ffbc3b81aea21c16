/**
 * Student export and import (METHODS.md §9) through core: core/project's `exportSession` builds
 * the v1 document from the session (with the tuning box and training settings the CLI needs for
 * a later `tune`), core/schema serialises it (validating, so the studio never writes a file it
 * would refuse) and parses it back (one specific message for the first problem).
 */
import { exportSession } from '../core/project/export.ts';
import { decodeStudentExport, parseStudentExport, serializeStudentExport, type StudentExportV1 } from '../core/schema/index.ts';
import { takeRows } from '../core/math/linalg.ts';
import { freeBox } from '../core/tuning/bounds.ts';
import { standardise } from '../core/concepts/stats.ts';
import type { Box } from '../core/types.ts';
import { boxAt, heldOutFlips, liveFor, plainMetrics, studioMetrics } from './project.ts';
import type { StudioState } from './store.ts';

/** Overlap of neighbouring grid crops as a fraction of a crop (1/3: see gridBoxes in ml/preprocess.ts). */
export const GRID_OVERLAP = 1 / 3;

/** How many held-out images go into the export's check block. */
const CHECK_IMAGES = 4;

/** The v1 document for the studio's current student. Throws with a specific message if it cannot. */
export function buildStudentDocument(s: StudioState, generator = 'Concept Tuning Studio'): StudentExportV1 {
  const ds = s.dataset;
  const session = s.session;
  if (!ds || !session) throw new Error('there is no project to export');
  const box = boxAt(session, s.boxes, session.history.head, ds.C, ds.M);
  const checkRows = ds.split.heldOut.slice(0, CHECK_IMAGES);
  const ids = Array.from(checkRows, (i) => ds.imageNames[i]);
  const base = {
    generator,
    prompts: { templates: ['a photo of {concept}'] },
    // Grid crops overlap their neighbours by a third of a crop (ml/preprocess.ts gridBoxes).
    regions: { grid: (ds.regionGrid >= 3 ? 9 : ds.regionGrid === 2 ? 4 : 1) as 1 | 4 | 9, overlap: ds.regionGrid >= 2 ? GRID_OVERLAP : 0 },
    splits: { distill: ds.split.train.length, heldOut: ds.split.heldOut.length },
    // members: what the served student really holds (a synthetic or imported student may differ from the default).
    training: { ...s.training, members: session.state.ensemble?.members.length ?? s.training.members },
    box,
  };
  const model = ds.imageModel;
  const emb = ds.imageEmbeddings;
  if (session.state.conceptText && model && emb && emb.D === model.embeddingDim && session.state.conceptText.cols === model.embeddingDim) {
    // Self-sufficient: concepts carry their text embeddings, the check block starts from real image embeddings.
    const { R, D } = emb;
    const data = new Float32Array(checkRows.length * R * D);
    checkRows.forEach((i, k) => data.set(emb.data.subarray(i * R * D, (i + 1) * R * D), k * R * D));
    return exportSession(session, {
      ...base,
      model: { id: model.id, embeddingDim: model.embeddingDim, preprocessing: model.preprocessing },
      checkImages: { images: { N: checkRows.length, R, D, data }, ids },
      // Class prompt embeddings: the 'mcm' OOD score of the export's ood block needs them.
      classText: ds.classText && ds.classText.cols === D && ds.classText.rows === ds.C ? ds.classText : null,
    });
  }
  // The studio holds concept activations, not text embeddings, for this project: the export
  // is activation-only (model.embeddingDim null) and its check starts from raw activations.
  return exportSession(session, {
    ...base,
    model: { id: s.env.modelId || 'precomputed-activations', embeddingDim: null },
    checkActivations: { raw: takeRows(ds.raw, checkRows), ids },
  });
}

export function exportStudentJson(s: StudioState): string {
  return serializeStudentExport(buildStudentDocument(s));
}

export type ImportOutcome = { ok: true; label: string } | { ok: false; error: string };

/**
 * Read a student export and make it the current student (a recorded `importStudent` step).
 * Bad files — unreadable, invalid, or for other classes/concepts — return the specific message
 * and change nothing.
 */
export function importStudentJson(s: StudioState, text: string, fileName: string): ImportOutcome {
  const ds = s.dataset;
  if (!ds || !s.session) return { ok: false, error: 'there is no project to import a student into' };
  const parsed = parseStudentExport(text);
  if (!parsed.ok) return { ok: false, error: `${fileName}: ${parsed.error}` };
  const doc = parsed.value;
  const classes = doc.classes.map((c) => c.name);
  const concepts = doc.concepts.map((c) => c.name);
  if (classes.length !== ds.C || classes.some((c, k) => c !== ds.classes[k])) {
    return { ok: false, error: `${fileName}: its classes (${classes.join(', ')}) are not this project's (${ds.classes.join(', ')})` };
  }
  if (concepts.length !== ds.M) {
    return { ok: false, error: `${fileName}: it has ${concepts.length} concepts but this project has ${ds.M}` };
  }
  const bad = concepts.findIndex((c, j) => c !== ds.concepts[j]);
  if (bad >= 0) return { ok: false, error: `${fileName}: concept ${bad + 1} is '${concepts[bad]}' there but '${ds.concepts[bad]}' here` };
  const d = decodeStudentExport(doc);
  // Measure the imported student on this project's held-out split, with its own standardisation.
  const ahat = standardise(ds.raw, d.stats).data;
  const live = liveFor({ ...ds, ahat }, d.ensemble.served);
  const metrics = studioMetrics(ds, live.pred);
  const box: Box = d.box ?? freeBox(ds.C, ds.M);
  const flipped = s.headPred ? heldOutFlips(ds, s.headPred, live.pred) : undefined;
  s.commit({
    type: 'refit', box,
    actions: [{ type: 'importStudent', ensemble: d.ensemble, stats: d.stats, source: fileName, metricsAfter: plainMetrics(metrics), ...(flipped ? { flipped } : {}) }],
  });
  const note = importDomain(s, doc);
  return { ok: true, label: `Imported the student file '${fileName}'${note}` };
}

/**
 * The file's domain calibration (METHODS §8) becomes the project's too (a recorded calibration
 * change), so predictions here match the file's; it needs image embeddings of the same size.
 */
function importDomain(s: StudioState, doc: StudentExportV1): string {
  const dom = doc.domain;
  if (!dom || dom.domains.length === 0) return '';
  const D = s.dataset?.imageEmbeddings?.D;
  if (D && dom.domains.every((x) => x.textEmbedding.length === D)) {
    const f32 = (v: number[]) => Float32Array.from(v);
    s.commit({ type: 'domainSettings', domain: { mode: dom.mode, temperature: dom.temperature, domains: dom.domains.map((x) => ({ prompt: x.prompt, textEmbedding: f32(x.textEmbedding), mu: f32(x.mu), sigma: f32(x.sigma) })) } });
    return ` with its domain calibration ('${dom.mode}', ${dom.domains.length} conditions)`;
  }
  return dom.mode === 'off' ? '' : `; its domain calibration ('${dom.mode}') needs image embeddings of size ${dom.domains[0].textEmbedding.length}, which this project lacks, so it standardises without it`;
}
