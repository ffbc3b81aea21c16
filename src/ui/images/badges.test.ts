import { describe, expect, it } from 'vitest';
import { badges } from './badges.ts';

describe('gallery tile badges', () => {
  it('group teacher (T), student (S) and truth (Y) by class, in that order', () => {
    expect(badges(2, 2, 2)).toEqual([{ roles: 'TSY', c: 2 }]);
    expect(badges(2, 0, 2)).toEqual([{ roles: 'TY', c: 2 }, { roles: 'S', c: 0 }]);
    expect(badges(2, 2, 1)).toEqual([{ roles: 'TS', c: 2 }, { roles: 'Y', c: 1 }]);
    expect(badges(2, 1, 1)).toEqual([{ roles: 'T', c: 2 }, { roles: 'SY', c: 1 }]);
    expect(badges(0, 1, 2)).toEqual([{ roles: 'T', c: 0 }, { roles: 'S', c: 1 }, { roles: 'Y', c: 2 }]);
  });
  it('leave out the truth when the image has no label (−1)', () => {
    expect(badges(3, 3, -1)).toEqual([{ roles: 'TS', c: 3 }]);
    expect(badges(3, 0, -1)).toEqual([{ roles: 'T', c: 3 }, { roles: 'S', c: 0 }]);
  });
});
