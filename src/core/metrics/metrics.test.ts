import { describe, expect, it } from 'vitest';
import { computeMetrics, confusionMatrix, misalignedSubset } from './metrics.ts';
import { flippedImages, metricDelta } from './flips.ts';

// Six images, three classes, worked by hand:
//   i        0  1  2  3  4  5
//   student  0  1  1  2  0  2
//   teacher  0  1  2  2  1  2
//   truth    0  2  2  2  1 -1   (image 5 unlabelled)
const student = Int32Array.from([0, 1, 1, 2, 0, 2]);
const teacher = Int32Array.from([0, 1, 2, 2, 1, 2]);
const truth = Int32Array.from([0, 2, 2, 2, 1, -1]);

describe('computeMetrics', () => {
  it('fidelity, accuracy and per-class on a hand-computed example', () => {
    const m = computeMetrics(student, teacher, 3, truth);
    expect(m.n).toBe(6);
    expect(m.fidelity).toBeCloseTo(4 / 6, 12); // agree at 0, 1, 3, 5
    expect(m.accuracy).toBeCloseTo(2 / 5, 12); // labelled 0..4, right at 0, 3
    expect(m.perClass[0]).toEqual({ fidelity: 1, accuracy: 1, n: 1 });
    expect(m.perClass[1].fidelity).toBeCloseTo(1 / 2, 12); // teacher 1 at {1,4}, agree at 1
    expect(m.perClass[1].accuracy).toBe(0); // truth 1 at {4}
    expect(m.perClass[1].n).toBe(2);
    expect(m.perClass[2].fidelity).toBeCloseTo(2 / 3, 12); // teacher 2 at {2,3,5}
    expect(m.perClass[2].accuracy).toBeCloseTo(1 / 3, 12); // truth 2 at {1,2,3}
  });

  it('accuracy is null without labels, and rows restrict the split', () => {
    const m = computeMetrics(student, teacher, 3, null, [2, 3, 4]);
    expect(m.accuracy).toBeNull();
    expect(m.n).toBe(3);
    expect(m.fidelity).toBeCloseTo(1 / 3, 12);
    expect(m.perClass[0]).toEqual({ fidelity: null, accuracy: null, n: 0 });
    expect(computeMetrics(student, teacher, 3, Int32Array.from([-1, -1, -1, -1, -1, -1])).accuracy).toBeNull();
    expect(() => computeMetrics(student, teacher.subarray(1), 3)).toThrow(/teacher/);
  });

  it('confusion matrices count reference rows × student columns', () => {
    const ct = confusionMatrix(student, teacher, 3);
    expect(Array.from(ct.counts)).toEqual([1, 0, 0, 1, 1, 0, 0, 1, 2]);
    const cg = confusionMatrix(student, truth, 3);
    expect(Array.from(cg.counts)).toEqual([1, 0, 0, 1, 0, 0, 0, 2, 1]); // unlabelled image skipped
    expect(cg.counts.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('misaligned subset is where student ≠ teacher', () => {
    expect(Array.from(misalignedSubset(student, teacher))).toEqual([2, 4]);
    expect(Array.from(misalignedSubset(student, teacher, [4, 0, 1]))).toEqual([4]);
  });
});

describe('flippedImages and metricDelta', () => {
  const after = Int32Array.from([0, 2, 2, 1, 1, 0]);
  //   before 0 1 1 2 0 2 ; after 0 2 2 1 1 0 ; changed 1,2,3,4,5
  //   teacher 0 1 2 2 1 2: 1 right→wrong, 2 wrong→right, 3 right→wrong, 4 wrong→right, 5 right→wrong
  //   truth   0 2 2 2 1 -1: 1 wrong→right, 2 wrong→right, 3 right→wrong, 4 wrong→right, 5 skipped
  const f = flippedImages(student, after, teacher, truth);

  it('lists every change and both directions against teacher and truth', () => {
    expect(Array.from(f.changed)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(f.vsTeacher.becameRight)).toEqual([2, 4]);
    expect(Array.from(f.vsTeacher.becameWrong)).toEqual([1, 3, 5]);
    expect(Array.from(f.vsTruth!.becameRight)).toEqual([1, 2, 4]);
    expect(Array.from(f.vsTruth!.becameWrong)).toEqual([3]);
  });

  it('a change between two wrong classes is in changed only', () => {
    const g = flippedImages([1], [2], [0], null);
    expect(Array.from(g.changed)).toEqual([0]);
    expect(g.vsTeacher.becameRight.length + g.vsTeacher.becameWrong.length).toBe(0);
    expect(g.vsTruth).toBeNull();
  });

  it('restricts to rows and summarises the deltas consistently', () => {
    expect(Array.from(flippedImages(student, after, teacher, truth, [5, 0, 3]).changed)).toEqual([3, 5]);
    const m0 = computeMetrics(student, teacher, 3, truth);
    const m1 = computeMetrics(after, teacher, 3, truth);
    const d = metricDelta(m0, m1, f);
    // Δfidelity = (becameRight − becameWrong)/n: the two views must agree.
    expect(d.dFidelity).toBeCloseTo((2 - 3) / 6, 12);
    expect(d.dAccuracy).toBeCloseTo((3 - 1) / 5, 12);
    expect(d.flipped).toBe(5);
    expect(metricDelta(computeMetrics(student, teacher, 3), m1, 0).dAccuracy).toBeNull();
  });
});
