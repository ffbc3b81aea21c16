/**
 * Domain-aware concept calibration in the studio (METHODS §8): editable condition ("domain")
 * prompts embedded by the project's image model, each image's domain posterior (chip and gallery
 * facet), per-domain concept statistics, and the mode (off / source / test-time). The maths is
 * core/calibration's; this file keeps it in step with the dataset and caches per settings object.
 *
 * A mode change is a recorded 'calibrationChange' (core/project): it restandardises every image,
 * so predictions and metrics move; the student's weights stay as they are (no refit).
 */
import type { Mat } from '../core/types.ts';
import type { DomainSettings, Session } from '../core/project/index.ts';
import { standardise } from '../core/concepts/stats.ts';
import {
  calibratedStandardise, DomainCalibrationError, domainConceptStats, domainPosterior, domainTextMatrix, DOMAIN_TEMPERATURE, joinDomains, likeliestDomain,
  MIN_TEST_TIME_BATCH, splitDomains, testTimeStats, type DomainConceptStats, type DomainMode,
} from '../core/calibration/index.ts';
import type { Dataset } from './types.ts';
import type { StudioState } from './store.ts';

/** The demo's lighting conditions (tools/demo: bright, dim, haze, glare), in the demo CLIP's vocabulary. */
export const DEMO_DOMAIN_PROMPTS = ['a photo in bright light', 'a photo in dim light', 'a photo in haze', 'a photo with glare'];
/** METHODS §8's examples, for a general CLIP model. */
export const GENERAL_DOMAIN_PROMPTS = ['a photo taken at night', 'a photo in fog', 'a photo in the rain', 'a low-light photo', 'a sketch', 'a photo in daylight'];

export function defaultDomainPrompts(ds: Dataset | null): string[] {
  return ds?.imageModel?.id === 'demo-clip' ? DEMO_DOMAIN_PROMPTS : GENERAL_DOMAIN_PROMPTS;
}

/** Embeds prompt texts with the project's image model (the app installs the embed worker). */
export type PromptEmbedder = (prompts: string[], model: string) => Promise<Float32Array>;
let promptEmbedder: PromptEmbedder | null = null;
export function setPromptEmbedder(e: PromptEmbedder | null): void {
  promptEmbedder = e;
}

/** Why this project cannot use domain calibration (a sentence for the user), or null. */
export function domainBlocker(s: StudioState): string | null {
  const ds = s.dataset;
  if (!ds || !s.session?.state.ensemble) return 'There is no student yet.';
  if (!ds.imageModel || !ds.imageEmbeddings || !(s.session.state.conceptText ?? ds.conceptText)) {
    return 'Domain calibration needs the image embeddings and the image model they came from; this project has only precomputed concept activations.';
  }
  if (!promptEmbedder) return 'The image model is not available in this build, so condition prompts cannot be embedded.';
  return null;
}

const piCache = new WeakMap<object, { ds: Dataset; pi: Mat; top: Int32Array }>();

/** Domain posterior π (N×K) of every image and its likeliest domain, for the session's domain settings. */
export function domainPosteriors(ds: Dataset | null, domain: DomainSettings | null | undefined): { pi: Mat; top: Int32Array } | null {
  const e = ds?.imageEmbeddings;
  if (!ds || !e || !domain || domain.domains.length === 0 || domain.domains[0].textEmbedding.length !== e.D) return null;
  const hit = piCache.get(domain.domains);
  if (hit && hit.ds.imageEmbeddings === e) return hit;
  const text = domainTextMatrix(domain.domains, e.D);
  const pi = domainPosterior({ N: ds.N, R: e.R, D: e.D, data: e.data }, text, domain.temperature);
  const r = { ds, pi, top: likeliestDomain(pi) };
  piCache.set(domain.domains, r);
  return r;
}

/** â of every image under the settings (mode 'off' or none = §2's plain standardisation). */
export function calibratedAhat(ds: Dataset, stats: Dataset['stats'], domain: DomainSettings | null | undefined): Float32Array {
  const p = domain && domain.mode !== 'off' ? domainPosteriors(ds, domain) : null;
  if (!p || !domain) return standardise(ds.raw, stats).data;
  return calibratedStandardise(ds.raw, p.pi, joinDomains(domain.domains)).data;
}

/** Per-domain statistics as one K×M block (for tables). */
export function domainBlock(domain: DomainSettings): DomainConceptStats {
  return joinDomains(domain.domains);
}

/** Source statistics: π-weighted over the distillation split. */
function sourceStats(ds: Dataset, text: Mat, temperature: number): DomainConceptStats {
  const e = ds.imageEmbeddings!;
  const rows = ds.split.train;
  const pi = domainPosterior({ N: ds.N, R: e.R, D: e.D, data: e.data }, text, temperature, rows);
  return domainConceptStats(ds.raw, pi, rows);
}

function settingsFrom(prompts: string[], text: Mat, stats: DomainConceptStats, mode: DomainMode, temperature: number): DomainSettings {
  const rows = splitDomains(stats);
  return {
    mode, temperature,
    domains: prompts.map((prompt, d) => ({ prompt, textEmbedding: text.data.slice(d * text.cols, (d + 1) * text.cols), ...rows[d] })),
  };
}

/** Clean the user's prompt list: trimmed, non-empty, no duplicates (case folded); a clear error when nothing is left. */
export function cleanPrompts(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const p = line.trim().replace(/\s+/g, ' ');
    if (!p || seen.has(p.toLowerCase())) continue;
    seen.add(p.toLowerCase());
    out.push(p);
  }
  if (out.length === 0) throw new DomainCalibrationError('type at least one condition, one per line (e.g. "a photo in dim light")');
  if (out.length > 32) throw new DomainCalibrationError(`at most 32 conditions, got ${out.length}`);
  return out;
}

/**
 * New domain settings from prompts: embed them, compute the source statistics on the
 * distillation split. Keeps mode 'off' or 'source'; a test-time mode falls back to 'source'
 * (its batch statistics belonged to the old prompts).
 */
export async function domainsFromPrompts(s: StudioState, prompts: string[]): Promise<DomainSettings> {
  const why = domainBlocker(s);
  if (why) throw new DomainCalibrationError(why);
  const ds = s.dataset!;
  const D = ds.imageEmbeddings!.D;
  const data = await promptEmbedder!(prompts, ds.imageModel!.id);
  if (data.length !== prompts.length * D) throw new DomainCalibrationError(`the image model returned ${data.length} numbers for ${prompts.length} prompts of size ${D}`);
  const text = { rows: prompts.length, cols: D, data };
  const cur = s.session?.state.calibration.domain;
  const temperature = cur?.temperature ?? DOMAIN_TEMPERATURE;
  const mode: DomainMode = cur?.mode === 'source' || cur?.mode === 'test-time' ? 'source' : 'off';
  return settingsFrom(prompts, text, sourceStats(ds, text, temperature), mode, temperature);
}

/** Images of a named set (Dataset.sets). */
export function setRows(ds: Dataset, set: number): Int32Array {
  const out: number[] = [];
  ds.sets?.of.forEach((k, i) => (k === set ? out.push(i) : undefined));
  return Int32Array.from(out);
}

/**
 * The same domains in another mode. 'source' recomputes the source statistics; 'test-time'
 * estimates them from the unlabelled images `batch` (≥ 30, else DomainCalibrationError).
 */
export function domainsInMode(ds: Dataset, domain: DomainSettings, mode: DomainMode, batch?: ArrayLike<number>): DomainSettings {
  const e = ds.imageEmbeddings;
  if (!e) throw new DomainCalibrationError('domain calibration needs image embeddings');
  const prompts = domain.domains.map((d) => d.prompt);
  const text = domainTextMatrix(domain.domains, e.D);
  const source = sourceStats(ds, text, domain.temperature);
  if (mode !== 'test-time') return settingsFrom(prompts, text, source, mode, domain.temperature);
  const rows = batch ?? [];
  if (rows.length < MIN_TEST_TIME_BATCH) {
    throw new DomainCalibrationError(
      `test-time statistics need an unlabelled batch of at least ${MIN_TEST_TIME_BATCH} images of the new conditions; the chosen images are ${rows.length}`,
    );
  }
  const pi = domainPosterior({ N: ds.N, R: e.R, D: e.D, data: e.data }, text, domain.temperature, rows);
  return settingsFrom(prompts, text, testTimeStats(ds.raw, pi, rows, source), 'test-time', domain.temperature);
}

/** The session's domain settings (null when none were made). */
export const domainOf = (session: Session | null | undefined): DomainSettings | null => session?.state.calibration.domain ?? null;

/** Count of images per likeliest domain. */
export function domainCounts(top: Int32Array, K: number, rows?: ArrayLike<number>): number[] {
  const out = new Array<number>(K).fill(0);
  if (rows) for (let k = 0; k < rows.length; k++) out[top[rows[k]]]++;
  else for (const d of top) out[d]++;
  return out;
}

/**
 * A dataset whose â was just recomputed with plain §2 standardisation (a distillation's new
 * statistics) while domain calibration is on: its â under that calibration again, so the
 * predictions, the metrics and every later undo agree on what the student sees.
 */
export function keepCalibration(ds: Dataset, previous: Dataset): Dataset {
  const dom = ds.ahatDomain;
  if (!dom || dom.mode === 'off' || ds.ahat === previous.ahat) return ds;
  return { ...ds, ahat: calibratedAhat(ds, ds.stats, dom) };
}

/** Whether the dataset's â is domain-calibrated (a mode other than 'off' is in force). */
export const calibrated = (ds: Dataset): boolean => !!ds.ahatDomain && ds.ahatDomain.mode !== 'off';

/**
 * What a refit of the student fits on: the â it sees. Under domain calibration that is the
 * calibrated â, handed over as activations already standardised (μ = 0, σ = 1, so the refit's
 * own standardisation leaves them exactly as they are); else the raw activations and their
 * statistics. The weights then mean the same thing in the fit and in every prediction after it.
 */
export function refitActivations(ds: Dataset): { raw: Mat; stats: Dataset['stats'] } {
  if (!calibrated(ds)) return { raw: ds.raw, stats: ds.stats };
  return { raw: { rows: ds.N, cols: ds.M, data: ds.ahat }, stats: { mu: new Float32Array(ds.M), sigma: new Float32Array(ds.M).fill(1) } };
}
