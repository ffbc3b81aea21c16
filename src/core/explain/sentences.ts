/**
 * Plain template sentences for explanation terms. Pure functions of the numbers and the names,
 * so the UI, the CLI and tests produce the same words, and a renamed concept renames its
 * sentences without recomputing anything.
 *
 * Standardised activations are relative to the distillation split's average: â < 0 means the
 * image shows *less* of the concept than usual, so a term driven by a negative â is phrased as
 * "little rust …" rather than "rust …".
 */
import type { ClassPairExplanation, ClassPairTerm, ImagePairExplanation, ImagePairTerm } from './pairwise.ts';

export interface PairLabels {
  /** How to call the two images, default "A" and "B". */
  a?: string;
  b?: string;
}

/** "rust" for a concept present above average, "little rust" below. */
function presence(concept: string, activation: number): string {
  return activation < 0 ? `little ${concept}` : concept;
}

/**
 * Image pair: "A shows more rust than B, and rust counts for rusty". With `short`, only the
 * first clause. The direction of the term (up or down for A) follows from the two clauses.
 */
export function imagePairSentence(
  term: Pick<ImagePairTerm, 'weight' | 'a' | 'b'>,
  concept: string,
  className: string,
  labels: PairLabels = {},
  short = false,
): string {
  const A = labels.a ?? 'A';
  const B = labels.b ?? 'B';
  const d = term.a - term.b;
  const head = d > 0 ? `${A} shows more ${concept} than ${B}` : d < 0 ? `${A} shows less ${concept} than ${B}` : `${A} and ${B} show as much ${concept}`;
  if (short) return head;
  const tail =
    term.weight > 0 ? `and ${concept} counts for ${className}` : term.weight < 0 ? `and ${concept} counts against ${className}` : `but ${concept} does not count for ${className}`;
  return `${head}, ${tail}`;
}

/** Class pair: "rust pushes towards rusty rather than ok" (or the reverse, by the term's sign). */
export function classPairSentence(
  term: Pick<ClassPairTerm, 'value' | 'activation'>,
  concept: string,
  class1: string,
  class2: string,
): string {
  const who = presence(concept, term.activation);
  if (term.value > 0) return `${who} pushes towards ${class1} rather than ${class2}`;
  if (term.value < 0) return `${who} pushes towards ${class2} rather than ${class1}`;
  return `${concept} does not separate ${class1} from ${class2}`;
}

/** One contribution w_cj·â_j: "rust pushes towards rusty" / "little rust pushes away from rusty". */
export function contributionSentence(value: number, activation: number, concept: string, className: string): string {
  const who = presence(concept, activation);
  if (value > 0) return `${who} pushes towards ${className}`;
  if (value < 0) return `${who} pushes away from ${className}`;
  return `${concept} does not affect ${className}`;
}

function nameOf(names: readonly string[], k: number, what: string): string {
  return names[k] ?? `${what} ${k}`;
}

/** Sentences for the k largest terms of an image-pair explanation, largest first. */
export function describeImagePair(
  ex: ImagePairExplanation,
  conceptNames: readonly string[],
  classNames: readonly string[],
  k = 3,
  labels: PairLabels = {},
): string[] {
  return ex.terms
    .filter((t) => t.value !== 0)
    .slice(0, k)
    .map((t) => imagePairSentence(t, nameOf(conceptNames, t.concept, 'concept'), nameOf(classNames, ex.c, 'class'), labels));
}

/** Sentences for the k largest terms of a class-pair explanation, largest first. */
export function describeClassPair(ex: ClassPairExplanation, conceptNames: readonly string[], classNames: readonly string[], k = 3): string[] {
  const c1 = nameOf(classNames, ex.c1, 'class');
  const c2 = nameOf(classNames, ex.c2, 'class');
  return ex.terms
    .filter((t) => t.value !== 0)
    .slice(0, k)
    .map((t) => classPairSentence(t, nameOf(conceptNames, t.concept, 'concept'), c1, c2));
}
