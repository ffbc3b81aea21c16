/**
 * Checks a structurally valid v1 export for what the schema cannot express: sizes that must
 * agree across fields, σ > 0, a sound provenance tree. Returns the FIRST problem as one
 * human message with its JSON path, or null. Order: cheap header facts first, so the message
 * names the root cause (a wrong D is reported once, not as M mismatching embeddings).
 */

import { regionCount, type StudentExportV1 } from './exportV1.ts';

/** "student.W: expected 12×140 = 1680 numbers, got 1679". */
function size(path: string, got: number, dims: number[], names?: string): string | null {
  const want = dims.reduce((a, b) => a * b, 1);
  if (got === want) return null;
  const shape = dims.length > 1 ? `${dims.join('×')} = ${want}` : String(want);
  return `${path}: expected ${shape} number${want === 1 ? '' : 's'}${names ? ` (${names})` : ''}, got ${got}`;
}

function positive(path: string, v: number): string | null {
  return Number.isFinite(v) && v > 0 ? null : `${path}: must be a positive finite number`;
}

function firstOf(checks: Iterable<string | null>): string | null {
  for (const c of checks) if (c) return c;
  return null;
}

export function validateStudentExport(doc: StudentExportV1): string | null {
  return firstOf(allProblems(doc));
}

function* allProblems(doc: StudentExportV1): Generator<string | null> {
  const C = doc.classes.length;
  const M = doc.concepts.length;
  const D = doc.model.embeddingDim;
  const R = regionCount(doc.regions.grid);
  const pre = doc.model.preprocessing;
  if (pre) {
    yield size('model.preprocessing.mean', pre.mean.length, [3], 'R, G, B');
    yield size('model.preprocessing.std', pre.std.length, [3], 'R, G, B');
    for (let i = 0; i < pre.std.length; i++) yield positive(`model.preprocessing.std[${i}]`, pre.std[i]);
  } else if (D !== null) {
    yield `model.preprocessing: missing; a file with image embeddings (model.embeddingDim ${D}) must say how images are prepared for its encoder (only an activation-only file, with model.embeddingDim null, may leave it out)`;
  }

  if (D === null) yield* activationOnlyProblems(doc);
  for (let j = 0; j < M; j++) {
    const c = doc.concepts[j];
    if (D !== null) {
      if (!c.textEmbedding) {
        yield `concepts[${j}].textEmbedding: missing; model.embeddingDim is ${D}, so every concept needs a text embedding of ${D} numbers (only an activation-only file, with model.embeddingDim null, has none)`;
      } else yield size(`concepts[${j}].textEmbedding`, c.textEmbedding.length, [D], 'model.embeddingDim');
    }
    yield positive(`concepts[${j}].sigma`, c.sigma);
  }
  for (let c = 0; c < C; c++) {
    const e = doc.classes[c].textEmbedding;
    if (e) {
      if (D !== null) yield size(`classes[${c}].textEmbedding`, e.length, [D], 'model.embeddingDim');
    } else if (doc.ood?.score === 'mcm') yield `classes[${c}].textEmbedding: the 'mcm' OOD score needs a text embedding for every class`;
  }

  const s = doc.student;
  yield size('student.W', s.W.length, [C, M], 'classes × concepts');
  yield size('student.b', s.b.length, [C], 'classes');
  yield size('student.lo', s.lo.length, [C, M], 'classes × concepts');
  yield size('student.hi', s.hi.length, [C, M], 'classes × concepts');
  if (s.members.W.length !== s.members.b.length) {
    yield `student.members: ${s.members.W.length} weight matrices but ${s.members.b.length} bias vectors`;
  }
  for (let k = 0; k < s.members.W.length; k++) yield size(`student.members.W[${k}]`, s.members.W[k].length, [C, M], 'classes × concepts');
  for (let k = 0; k < s.members.b.length; k++) yield size(`student.members.b[${k}]`, s.members.b[k].length, [C], 'classes');

  if (doc.ood) yield positive('ood.tau', doc.ood.tau);
  if (doc.domain) {
    const dm = doc.domain;
    yield positive('domain.temperature', dm.temperature);
    if (dm.mode !== 'off' && dm.domains.length === 0) yield `domain.domains: mode '${dm.mode}' needs at least one domain`;
    for (let d = 0; d < dm.domains.length; d++) {
      const x = dm.domains[d];
      if (D !== null) yield size(`domain.domains[${d}].textEmbedding`, x.textEmbedding.length, [D], 'model.embeddingDim');
      yield size(`domain.domains[${d}].mu`, x.mu.length, [M], 'concepts');
      yield size(`domain.domains[${d}].sigma`, x.sigma.length, [M], 'concepts');
      for (let j = 0; j < x.sigma.length; j++) yield positive(`domain.domains[${d}].sigma[${j}]`, x.sigma[j]);
    }
  }

  if (doc.training) yield* trainingProblems(doc.training, s.members.W.length);
  if (doc.tuning) {
    const seen = new Set<number>();
    for (let k = 0; k < doc.tuning.bounds.length; k++) {
      const t = doc.tuning.bounds[k];
      const p = `tuning.bounds[${k}]`;
      if (t.class >= C) yield `${p}.class: class ${t.class} does not exist (there are ${C})`;
      else if (t.concept >= M) yield `${p}.concept: concept ${t.concept} does not exist (there are ${M})`;
      else if (t.lo !== null && t.hi !== null && t.lo > t.hi) yield `${p}: lo ${t.lo} is above hi ${t.hi}`;
      else if (seen.has(t.class * M + t.concept)) yield `${p}: class ${t.class}, concept ${t.concept} is bounded twice`;
      else {
        seen.add(t.class * M + t.concept);
        // The served weight must lie in its box, or the file contradicts itself.
        const w = s.W[t.class * M + t.concept];
        const tol = 1e-6 * Math.max(1, Math.abs(w));
        if ((t.lo !== null && w < t.lo - tol) || (t.hi !== null && w > t.hi + tol)) {
          yield `${p}: student.W[${t.class * M + t.concept}] = ${w} lies outside its tuning bounds [${t.lo ?? '−∞'}, ${t.hi ?? '+∞'}]`;
        }
      }
    }
  }

  const h = doc.metrics.heldOut;
  if (h) {
    if (h.perClass.length !== C) yield `metrics.heldOut.perClass: expected ${C} entries (one per class), got ${h.perClass.length}`;
    if (h.n > doc.metrics.splits.heldOut) yield `metrics.heldOut.n: ${h.n} images is more than the held-out split (${doc.metrics.splits.heldOut})`;
  }

  yield provenanceProblem(doc);

  for (let i = 0; i < doc.check.images.length; i++) {
    const im = doc.check.images[i];
    const p = `check.images[${i}]`;
    if (D !== null) {
      if (!im.embeddings) yield `${p}.embeddings: missing; model.embeddingDim is ${D}, so every check image needs its ${R}×${D} region embeddings (the check starts from them)`;
      else yield size(`${p}.embeddings`, im.embeddings.length, [R, D], 'regions × model.embeddingDim');
    }
    yield size(`${p}.activations`, im.activations.length, [M], 'concepts');
    yield size(`${p}.standardized`, im.standardized.length, [M], 'concepts');
    yield size(`${p}.logits`, im.logits.length, [C], 'classes');
    if (im.prediction >= C) yield `${p}.prediction: class ${im.prediction} does not exist (there are ${C})`;
  }
}

/**
 * An activation-only file (model.embeddingDim null) carries no embeddings of any kind and none
 * of the blocks that need them. Reported per field, first the one that most likely shows the
 * file is really an embedding file with a missing embeddingDim.
 */
function* activationOnlyProblems(doc: StudentExportV1): Generator<string | null> {
  const why = 'not allowed in an activation-only file (model.embeddingDim is null)';
  const j = doc.concepts.findIndex((c) => c.textEmbedding !== undefined);
  if (j >= 0) {
    const n = doc.concepts[j].textEmbedding!.length;
    yield `concepts[${j}].textEmbedding: ${why}; either set model.embeddingDim to ${n} and give every concept a text embedding, or remove the concept text embeddings`;
  }
  const c = doc.classes.findIndex((k) => k.textEmbedding !== undefined);
  if (c >= 0) yield `classes[${c}].textEmbedding: ${why}`;
  if (doc.ood) yield `ood: ${why}: the MCM score needs image and text embeddings; set ood to null`;
  const dm = doc.domain;
  if (dm && (dm.mode !== 'off' || dm.domains.length > 0)) {
    yield `domain: ${why}: domain calibration needs image and prompt embeddings; set domain to null (or mode 'off' with no domains)`;
  }
  const i = doc.check.images.findIndex((im) => im.embeddings !== undefined);
  if (i >= 0) yield `check.images[${i}].embeddings: ${why}; the check of an activation-only file starts from its raw activations`;
}

/** λ ≥ 0, k ≥ 1 (and equal to the members stored, if any), 0 < held-out share < 1. */
function* trainingProblems(t: NonNullable<StudentExportV1['training']>, storedMembers: number): Generator<string | null> {
  if (!(t.lambda >= 0)) yield `training.lambda: the L1 strength must be 0 or more, got ${t.lambda}`;
  if (t.members < 1) yield `training.members: must be at least 1, got ${t.members}`;
  else if (storedMembers > 0 && storedMembers !== t.members) {
    yield `training.members: says ${t.members} members but student.members holds ${storedMembers}`;
  }
  if (!(t.heldOutFraction > 0 && t.heldOutFraction < 1)) {
    yield `training.heldOutFraction: must be strictly between 0 and 1, got ${t.heldOutFraction}`;
  }
}

/** Unique ids, one root, known parents, no cycles, a known head. */
function provenanceProblem(doc: StudentExportV1): string | null {
  const nodes = doc.provenance.nodes;
  const byId = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) {
    if (byId.has(nodes[i].id)) return `provenance.nodes[${i}].id: "${nodes[i].id}" is used twice`;
    byId.set(nodes[i].id, i);
  }
  const roots = nodes.filter((n) => n.parentId === null);
  if (roots.length !== 1) return `provenance.nodes: expected exactly one root (parentId null), found ${roots.length}`;
  for (let i = 0; i < nodes.length; i++) {
    const p = nodes[i].parentId;
    if (p !== null && !byId.has(p)) return `provenance.nodes[${i}].parentId: no node has id "${p}"`;
  }
  for (let i = 0; i < nodes.length; i++) {
    let cur: string | null = nodes[i].id;
    for (let steps = 0; cur !== null; steps++) {
      if (steps > nodes.length) return `provenance.nodes[${i}]: its parent chain loops and never reaches the root`;
      cur = nodes[byId.get(cur)!].parentId;
    }
  }
  if (!byId.has(doc.provenance.head)) return `provenance.head: no node has id "${doc.provenance.head}"`;
  return null;
}
