/**
 * "Apply to a folder" output: one CSV row per image with the student's prediction and its
 * per-class probabilities σ(z_c) (METHODS §4: one-vs-rest, so they need not sum to 1).
 * Pure: the caller computes the logits (core) and saves the text.
 */

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF; a leading =,+,-,@ is defused for spreadsheets. */
export function csvField(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * @param names image names (N)
 * @param classes class names (C)
 * @param logits N×C row-major logits of the served student
 * @param failed images that could not be read: a row with an empty prediction and the reason
 */
export function predictionsCsv(names: string[], classes: string[], logits: ArrayLike<number>, failed: { name: string; message: string }[] = []): string {
  const C = classes.length;
  if (logits.length !== names.length * C) throw new Error(`${logits.length} logits for ${names.length} images × ${C} classes`);
  const head = ['image', 'predicted_class', ...classes.map((c) => `p_${c}`), 'error'].map(csvField).join(',');
  const lines = [head];
  for (let i = 0; i < names.length; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c] > logits[i * C + best]) best = c; // first class on ties
    const probs: string[] = [];
    for (let c = 0; c < C; c++) probs.push(sigmoid(logits[i * C + c]).toFixed(6));
    lines.push([csvField(names[i]), csvField(classes[best]), ...probs, ''].join(','));
  }
  for (const f of failed) lines.push([csvField(f.name), '', ...classes.map(() => ''), csvField(f.message)].join(','));
  return lines.join('\r\n') + '\r\n';
}
