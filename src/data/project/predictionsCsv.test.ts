import { describe, expect, it } from 'vitest';
import { csvField, predictionsCsv } from './predictionsCsv.ts';

describe('predictions CSV', () => {
  it('writes name, argmax class and σ(z) per class, first class on ties', () => {
    const csv = predictionsCsv(['a.jpg', 'b.png'], ['ok', 'rusty'], [0, 2, 1, 1]);
    expect(csv.split('\r\n')).toEqual([
      'image,predicted_class,p_ok,p_rusty,error',
      'a.jpg,rusty,0.500000,0.880797,',
      'b.png,ok,0.731059,0.731059,',
      '',
    ]);
  });

  it('quotes commas, quotes and newlines, defuses spreadsheet formulas, and lists failed images', () => {
    expect(csvField('x, "y"')).toBe('"x, ""y"""');
    expect(csvField('=cmd()')).toBe("'=cmd()");
    const csv = predictionsCsv([], ['a', 'b'], [], [{ name: 'bad,1.jpg', message: 'not an image' }]);
    expect(csv.split('\r\n')[1]).toBe('"bad,1.jpg",,,,not an image');
  });

  it('stays finite for large logits and refuses mismatched sizes', () => {
    expect(predictionsCsv(['x'], ['a', 'b'], [-1000, 1000])).toContain('x,b,0.000000,1.000000,');
    expect(() => predictionsCsv(['x'], ['a', 'b'], [1])).toThrow(/1 logits for 1 images × 2 classes/);
  });
});
