import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { conceptStats, standardise } from '../concepts/stats.ts';
import {
  calibratedStandardise, DomainCalibrationError, domainConceptStats, domainPosterior, joinDomains, likeliestDomain, MIN_TEST_TIME_BATCH,
  mixStats, splitDomains, standardiseCalibrated, testTimeStats,
} from './domain.ts';

const mat = (rows: number, cols: number, v: number[]) => ({ rows, cols, data: Float32Array.from(v) });
const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

// Hand-computed golden values (python3 with the formulas in domain.ts's header).
describe('domain posterior and calibrated statistics (golden values)', () => {
  const prompts = mat(2, 2, [1, 0, 0, 1]);
  it('π = softmax(cos(x, t_d)/T) over the full-image row, x = normalise([3, 4])', () => {
    // Two regions: only row 0 (the full image) counts; it is normalised here (scale 5).
    const img = { N: 1, R: 2, D: 2, data: Float32Array.from([15, 20, 9, -9]) };
    const p1 = domainPosterior(img, prompts, 0.1).data;
    expect(p1[0]).toBeCloseTo(0.119203, 6);
    expect(p1[1]).toBeCloseTo(0.880797, 6);
    const p2 = domainPosterior(img, prompts).data; // T = 0.01
    expect(p2[1]).toBeCloseTo(0.999999998, 6);
    expect(likeliestDomain(domainPosterior(img, prompts, 0.1))[0]).toBe(1);
  });

  const A = mat(3, 1, [0.2, 0.4, 0.6]);
  const pi = mat(3, 2, [1, 0, 0.5, 0.5, 0, 1]);
  it('π-weighted μ_jd, σ_jd without a prior (κ = 0) and the mixture for π = [0.25, 0.75]', () => {
    const s = domainConceptStats(A, pi, all(3), undefined, 0);
    expect(Array.from(s.mass)).toEqual([1.5, 1.5]);
    expect(s.mu[0]).toBeCloseTo(0.266667, 6);
    expect(s.mu[1]).toBeCloseTo(0.533333, 6);
    expect(s.sigma[0]).toBeCloseTo(0.0942809, 6);
    expect(s.sigma[1]).toBeCloseTo(0.0942809, 6);
    const m = mixStats([0.25, 0.75], s);
    expect(m.mu[0]).toBeCloseTo(0.466667, 6);
    expect(m.sigma[0]).toBeCloseTo(0.0942809, 6);
    const ahat = calibratedStandardise(mat(1, 1, [0.5]), mat(1, 2, [0.25, 0.75]), s).data[0];
    expect(ahat).toBeCloseTo(0.353553, 5);
  });

  it('with the default prior (κ = 5 images toward the plain statistics)', () => {
    const s = domainConceptStats(A, pi, all(3));
    expect(s.mu[0]).toBeCloseTo(0.369231, 6);
    expect(s.mu[1]).toBeCloseTo(0.430769, 6);
    expect(s.sigma[0]).toBeCloseTo(0.160374, 6);
    expect(calibratedStandardise(mat(1, 1, [0.5]), mat(1, 2, [0.25, 0.75]), s).data[0]).toBeCloseTo(0.527612, 5);
  });

  it('a domain no image belongs to falls back to its prior instead of dividing by zero', () => {
    const s = domainConceptStats(A, mat(3, 2, [1, 0, 1, 0, 1, 0]), all(3));
    const plain = conceptStats(A);
    expect(s.mass[1]).toBe(0);
    expect(s.mu[1]).toBeCloseTo(plain.mu[0], 6);
    expect(s.sigma[1]).toBeCloseTo(plain.sigma[0], 6);
  });
});

describe('test-time statistics', () => {
  const N = 40;
  const A = mat(N, 2, Array.from({ length: N * 2 }, (_, k) => 0.1 + ((k * 37) % 11) / 50));
  const pi = mat(N, 2, Array.from({ length: N * 2 }, (_, k) => (k % 2 === 0 ? 1 : 0)));
  const source = joinDomains([{ mu: [0.5, 0.5], sigma: [0.1, 0.1] }, { mu: [0.9, 0.9], sigma: [0.2, 0.2] }]);

  it(`refuses a batch under ${MIN_TEST_TIME_BATCH} images with a clear message`, () => {
    expect(() => testTimeStats(A, mat(29, 2, new Array(58).fill(0.5)), all(29), source)).toThrow(DomainCalibrationError);
    expect(() => testTimeStats(A, mat(29, 2, new Array(58).fill(0.5)), all(29), source)).toThrow(
      'test-time statistics need an unlabelled batch of at least 30 images of the new conditions; this batch has 29',
    );
  });

  it('a domain the batch fills takes the batch statistics (κ = 0); an absent one keeps its source statistics', () => {
    const s = testTimeStats(A, pi, all(N), source, 0);
    const plain = conceptStats(A);
    expect(s.mu[0]).toBeCloseTo(plain.mu[0], 6);
    expect(s.sigma[1]).toBeCloseTo(plain.sigma[1], 6);
    expect(s.mu[2]).toBeCloseTo(0.9, 6);
    expect(s.sigma[3]).toBeCloseTo(0.2, 6);
  });
});

// Property tests: the calibration reduces to §2's plain standardisation where it should.
const matArb = (rows: number, cols: number) =>
  fc.array(fc.float({ min: Math.fround(0), max: Math.fround(1), noNaN: true }), { minLength: rows * cols, maxLength: rows * cols }).map((v) => mat(rows, cols, v));
const posteriorArb = (rows: number, K: number) =>
  fc.array(fc.float({ min: Math.fround(0.01), max: Math.fround(1), noNaN: true }), { minLength: rows * K, maxLength: rows * K }).map((v) => {
    const d = Float32Array.from(v);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += d[i * K + k];
      for (let k = 0; k < K; k++) d[i * K + k] /= s;
    }
    return { rows, cols: K, data: d };
  });

describe('calibration properties', () => {
  it("mode 'off' is plain standardisation, whatever the domains say", () => {
    fc.assert(
      fc.property(matArb(6, 3), posteriorArb(6, 2), (A, pi) => {
        const stats = conceptStats(A);
        const domains = domainConceptStats(A, pi, all(6));
        expect(standardiseCalibrated(A, stats, { mode: 'off', pi, domains }).data).toEqual(standardise(A, stats).data);
        expect(standardiseCalibrated(A, stats, null).data).toEqual(standardise(A, stats).data);
      }),
      { numRuns: 50 },
    );
  });

  it('one domain gives the plain statistics and the plain standardisation (any prior weight)', () => {
    fc.assert(
      fc.property(matArb(7, 4), fc.double({ min: 0, max: 50, noNaN: true }), (A, kappa) => {
        const pi = mat(7, 1, new Array(7).fill(1));
        const s = domainConceptStats(A, pi, all(7), undefined, kappa);
        const plain = conceptStats(A);
        for (let j = 0; j < 4; j++) {
          expect(s.mu[j]).toBeCloseTo(plain.mu[j], 5);
          expect(s.sigma[j]).toBeCloseTo(plain.sigma[j], 5);
        }
        const a = standardiseCalibrated(A, plain, { mode: 'source', pi, domains: s }).data;
        const b = standardise(A, plain).data;
        for (let k = 0; k < a.length; k++) expect(a[k]).toBeCloseTo(b[k], 2);
      }),
      { numRuns: 50 },
    );
  });

  it('posterior rows are probabilities; equal per-domain statistics make π irrelevant', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: Math.fround(-1), max: Math.fround(1), noNaN: true }), { minLength: 12, maxLength: 12 }), (v) => {
        const imgs = { N: 3, R: 1, D: 4, data: Float32Array.from(v.map((x, k) => x + (k % 4 === 0 ? 2 : 0))) };
        const pi = domainPosterior(imgs, mat(3, 4, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]), 0.05);
        for (let i = 0; i < 3; i++) expect(pi.data[i * 3] + pi.data[i * 3 + 1] + pi.data[i * 3 + 2]).toBeCloseTo(1, 5);
        const same = joinDomains([0, 1, 2].map(() => ({ mu: [0.3, 0.2], sigma: [0.1, 0.05] })));
        const A = mat(3, 2, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
        const a = calibratedStandardise(A, pi, same).data;
        const b = standardise(A, { mu: Float32Array.from([0.3, 0.2]), sigma: Float32Array.from([0.1, 0.05]) }).data;
        for (let k = 0; k < 6; k++) expect(a[k]).toBeCloseTo(b[k], 4);
      }),
      { numRuns: 50 },
    );
  });

  it('split/join round trip; mismatched sizes are refused with the reason', () => {
    const s = domainConceptStats(mat(3, 1, [0.2, 0.4, 0.6]), mat(3, 2, [1, 0, 0.5, 0.5, 0, 1]), all(3));
    const back = joinDomains(splitDomains(s));
    expect(back.mu).toEqual(s.mu);
    expect(back.sigma).toEqual(s.sigma);
    expect(() => domainPosterior({ N: 1, R: 1, D: 3, data: new Float32Array(3) }, mat(1, 2, [1, 0]))).toThrow('domain prompt embeddings have 2 dimensions, the images 3');
    expect(() => calibratedStandardise(mat(2, 1, [0, 0]), mat(1, 2, [1, 0]), s)).toThrow('the posterior has 1 rows, the activations 2');
  });
});
