/**
 * fast-check's seed for every property test. Fixed by default, so a CI run is reproducible and a
 * damaged input that made a decoder loop forever cannot turn up in one run out of many (a
 * synchronous loop is out of reach of vitest's timeouts: the run just never ends). Exploring new
 * inputs is `npm run fuzz`, which runs the property tests under fresh seeds (FUZZ_SEED) and
 * prints the seed of any failure or hang.
 */
import fc from 'fast-check';

const raw = process.env.FUZZ_SEED;
const seed = raw === undefined || raw === '' ? 20261123 : Number(raw);
if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, not "${raw}"`);
fc.configureGlobal({ seed });
