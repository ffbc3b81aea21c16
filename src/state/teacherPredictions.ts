/**
 * A teacher given as a file of predictions (METHODS.md §3, source 3): image id or file name →
 * a class label or a probability vector, as CSV or JSON. Pure parsing and validation; matching
 * the rows to a dataset's images is `matchPredictions`.
 *
 * CSV: a header row; the first column names the image (id / file / image / path / name), then
 * either one column `label` (also class / prediction / predicted_class) or one column per class
 * holding probabilities (the header cells are the class names).
 *
 * JSON: `{ "classes": [...], "predictions": {...} | [...] }`, or the predictions alone: an object
 * `{ "<id>": "label" | [p…] | {"class": p, …} }` or an array of `{ "id"|"file"|"image": …,
 * "label"|"class" : … | "probabilities": [p…] | {class: p} }`. Probability arrays need `classes`.
 */
import { splitCsv } from './importScan.ts';

export interface PredictionRow {
  key: string;
  /** Where the row is, for messages ("line 4", "predictions[3]", "key \"a.jpg\""). */
  where: string;
  label?: string;
  probs?: number[] | Record<string, number>;
}

export interface ParsedPredictions {
  /** Class names the file declares (probability columns or a classes list); null if only labels. */
  classes: string[] | null;
  rows: PredictionRow[];
}

const ID_COLS = /^(id|file|filename|file_name|image|image_id|path|name)$/i;
const LABEL_COLS = /^(label|class|prediction|predicted|predicted_class|teacher|target)$/i;

export class PredictionsError extends Error {
  override name = 'PredictionsError';
}

/** Parse a predictions file by its name's extension (.json or .csv); throws PredictionsError naming the file. */
export function parsePredictions(fileName: string, text: string): ParsedPredictions {
  const fail = (why: string) => new PredictionsError(`${fileName}: ${why}`);
  if (/\.json$/i.test(fileName)) {
    let json: unknown;
    try {
      json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (e) {
      throw fail(`not valid JSON (${(e as Error).message})`);
    }
    return parseJson(json, fail);
  }
  return parseCsv(text, fail);
}

function parseCsv(text: string, fail: (why: string) => Error): ParsedPredictions {
  const { rows, unterminatedAt } = splitCsv(text);
  if (unterminatedAt !== null) throw fail(`line ${unterminatedAt}: a quote (") is never closed`);
  if (rows.length < 2) throw fail('expected a header row and at least one prediction');
  const head = rows[0].cells.map((c) => c.trim());
  if (!ID_COLS.test(head[0])) throw fail(`the first column must name the image (id, file or image), got "${head[0]}"`);
  const labelCol = head.findIndex((h, k) => k > 0 && LABEL_COLS.test(h));
  const classes = labelCol >= 0 ? null : head.slice(1);
  if (classes && classes.length < 2) throw fail('expected a "label" column or one probability column per class (at least 2)');
  if (classes) {
    const seen = new Set<string>();
    for (const c of classes) {
      if (!c) throw fail('a class column has an empty header');
      if (seen.has(c)) throw fail(`class column "${c}" appears twice`);
      seen.add(c);
    }
  }
  const out: PredictionRow[] = [];
  for (const { line, cells } of rows.slice(1)) {
    const key = (cells[0] ?? '').trim();
    if (!key) throw fail(`line ${line}: no image id`);
    if (classes) {
      if (cells.length < head.length) throw fail(`line ${line}: expected ${head.length} fields, got ${cells.length}`);
      const probs = cells.slice(1, head.length).map((c) => (c.trim() === '' ? NaN : Number(c)));
      out.push({ key, where: `line ${line}`, probs });
    } else {
      const label = (cells[labelCol] ?? '').trim();
      if (!label) throw fail(`line ${line}: no label for ${key}`);
      out.push({ key, where: `line ${line}`, label });
    }
  }
  return { classes, rows: out };
}

function parseJson(json: unknown, fail: (why: string) => Error): ParsedPredictions {
  let classes: string[] | null = null;
  let preds: unknown = json;
  if (json && typeof json === 'object' && !Array.isArray(json) && 'predictions' in json) {
    const o = json as Record<string, unknown>;
    preds = o.predictions;
    if (o.classes !== undefined) {
      if (!Array.isArray(o.classes) || o.classes.length < 2 || !o.classes.every((c) => typeof c === 'string' && c.trim())) {
        throw fail('"classes" must be a list of at least 2 class names');
      }
      classes = (o.classes as string[]).map((c) => c.trim());
      if (new Set(classes).size !== classes.length) throw fail('"classes" lists a class twice');
    }
  }
  const value = (v: unknown, where: string): Omit<PredictionRow, 'key' | 'where'> => {
    if (typeof v === 'string' && v.trim()) return { label: v.trim() };
    if (Array.isArray(v)) {
      if (!v.every((x) => typeof x === 'number')) throw fail(`${where}: probabilities must be numbers`);
      return { probs: v as number[] };
    }
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (!Object.values(o).every((x) => typeof x === 'number')) throw fail(`${where}: probabilities must be numbers`);
      return { probs: Object.fromEntries(Object.entries(o)) as Record<string, number> };
    }
    throw fail(`${where}: expected a class label, a list of probabilities or {class: probability}`);
  };
  const rows: PredictionRow[] = [];
  if (Array.isArray(preds)) {
    preds.forEach((item, i) => {
      const where = `predictions[${i}]`;
      if (!item || typeof item !== 'object' || Array.isArray(item)) throw fail(`${where}: expected an object with an id and a label or probabilities`);
      const o = item as Record<string, unknown>;
      const key = [o.id, o.file, o.image, o.name, o.path].find((x) => typeof x === 'string' && x.trim()) as string | undefined;
      if (!key) throw fail(`${where}: no "id" (or "file" / "image")`);
      const v = o.probabilities ?? o.probs ?? o.label ?? o.class ?? o.prediction;
      rows.push({ key: key.trim(), where, ...value(v, `${where} (${key})`) });
    });
  } else if (preds && typeof preds === 'object') {
    for (const [key, v] of Object.entries(preds as Record<string, unknown>)) {
      rows.push({ key: key.trim(), where: `key "${key}"`, ...value(v, `"${key}"`) });
    }
  } else throw fail('expected predictions as an object {id: label} or a list of {id, label}');
  if (!rows.length) throw fail('holds no predictions');
  return { classes, rows };
}

/**
 * Probabilities (N×C, rows summing to 1) for the given images from parsed predictions. A row
 * matches an image by its id (relative path) or, when unambiguous, by its file name. Refuses with
 * one message: images without a prediction, an image predicted twice, a label or class not in
 * `classes`, probabilities that are negative, not finite or do not sum to 1 (±1 %).
 * `classes` null = take them from the file (its class list, else its labels, sorted).
 */
export function matchPredictions(fileName: string, parsed: ParsedPredictions, ids: string[], classes: string[] | null): { classes: string[]; probs: Float32Array; unused: number } {
  const fail = (why: string) => new PredictionsError(`${fileName}: ${why}`);
  let cls = classes && classes.length ? classes : parsed.classes;
  if (!cls) cls = [...new Set(parsed.rows.map((r) => r.label!))].sort((a, b) => a.localeCompare(b));
  if (cls.length < 2) throw fail(`predicts only ${cls.length} class; a teacher needs at least 2`);
  const C = cls.length;
  const index = new Map(cls.map((c, k) => [c, k]));
  const foldedIndex = new Map(cls.map((c, k) => [c.trim().toLowerCase(), k]));
  const classOf = (name: string) => index.get(name) ?? foldedIndex.get(name.trim().toLowerCase());
  // Columns of the file's own class list, mapped onto `cls` (a file may order them differently).
  const colMap = parsed.classes?.map((c) => classOf(c));
  if (colMap) {
    const unknown = parsed.classes!.filter((_, k) => colMap[k] === undefined);
    if (unknown.length) throw fail(`class ${unknown.map((u) => `"${u}"`).join(', ')} is not one of the project's classes (${cls.join(', ')})`);
  }
  const byId = new Map(ids.map((id, i) => [id, i]));
  const byBase = new Map<string, number>();
  const ambiguous = new Set<string>();
  ids.forEach((id, i) => {
    const b = id.split('/').pop()!;
    if (byBase.has(b)) ambiguous.add(b);
    byBase.set(b, i);
  });
  const probs = new Float32Array(ids.length * C);
  const seen = new Map<number, string>();
  let unused = 0;
  for (const r of parsed.rows) {
    let i = byId.get(r.key);
    if (i === undefined) {
      const b = r.key.split('/').pop()!;
      if (ambiguous.has(b)) throw fail(`${r.where}: "${r.key}" matches more than one image; use the path inside the folder`);
      i = byBase.get(b);
    }
    if (i === undefined) { unused++; continue; }
    if (seen.has(i)) throw fail(`${r.where}: ${ids[i]} has a prediction already (${seen.get(i)})`);
    seen.set(i, r.where);
    const o = i * C;
    if (r.label !== undefined) {
      const c = classOf(r.label);
      if (c === undefined) throw fail(`${r.where}: class "${r.label}" is not one of the project's classes (${cls.join(', ')})`);
      probs[o + c] = 1;
      continue;
    }
    const p = r.probs!;
    if (Array.isArray(p)) {
      if (p.length !== (parsed.classes?.length ?? C)) throw fail(`${r.where}: ${p.length} probabilities for ${parsed.classes?.length ?? C} classes`);
      p.forEach((v, k) => { probs[o + (colMap ? colMap[k]! : k)] = v; });
    } else {
      for (const [name, v] of Object.entries(p)) {
        const c = classOf(name);
        if (c === undefined) throw fail(`${r.where}: class "${name}" is not one of the project's classes (${cls.join(', ')})`);
        probs[o + c] = v;
      }
    }
    let s = 0;
    for (let c = 0; c < C; c++) {
      const v = probs[o + c];
      if (!Number.isFinite(v) || v < 0) throw fail(`${r.where}: probability for "${cls[c]}" is ${v}; probabilities must be finite and ≥ 0`);
      s += v;
    }
    if (Math.abs(s - 1) > 0.01) throw fail(`${r.where}: probabilities for ${ids[i]} sum to ${s.toFixed(3)}, not 1`);
    for (let c = 0; c < C; c++) probs[o + c] /= s;
  }
  const missing = ids.filter((_, i) => !seen.has(i));
  if (missing.length) {
    throw fail(`no prediction for ${missing.length} of ${ids.length} images (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})`);
  }
  return { classes: cls, probs, unused };
}
