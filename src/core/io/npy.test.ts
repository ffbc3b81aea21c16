import { describe, it, expect } from 'vitest';
import { parseNpy, writeNpy, NpyError } from './npy.ts';

/** Build a .npy by hand, the way NumPy lays it out, to test the reader independently of the writer. */
function handMade(descr: string, shape: string, payload: Uint8Array, version = 1): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(version === 1 ? 117 : 115) + '\n';
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(payload, pre + header.length);
  return out;
}

describe('npy', () => {
  it('round-trips float32 and int32 with their shapes', () => {
    const f = new Float32Array([1.5, -2, 3.25, 0, 7, 8]);
    const back = parseNpy(writeNpy(f, [2, 3]));
    expect(back.shape).toEqual([2, 3]);
    expect(back.dtype).toBe('<f4');
    expect(Array.from(back.data)).toEqual([1.5, -2, 3.25, 0, 7, 8]);
    const i = parseNpy(writeNpy(new Int32Array([4, -1, 9]), [3]));
    expect(i.shape).toEqual([3]);
    expect(Array.from(i.data)).toEqual([4, -1, 9]);
  });

  it('aligns the data to 64 bytes like NumPy', () => {
    const bytes = writeNpy(new Float32Array(5), [5]);
    expect((bytes.length - 20) % 64).toBe(0);
  });

  it('reads float64, int64 and version-2 headers', () => {
    const f8 = new Float64Array([0.1, 0.2]);
    expect(Array.from(parseNpy(handMade('<f8', '(2,)', new Uint8Array(f8.buffer))).data)).toEqual([0.1, 0.2]);
    const i8 = new BigInt64Array([5n, -3n]);
    expect(Array.from(parseNpy(handMade('<i8', '(1, 2)', new Uint8Array(i8.buffer), 2)).data)).toEqual([5, -3]);
  });

  it('refuses bad input with a specific message', () => {
    expect(() => parseNpy(new TextEncoder().encode('hello world, not npy'), 'A.npy')).toThrow(/A.npy is not a .npy file/);
    const good = writeNpy(new Float32Array(6), [2, 3]);
    expect(() => parseNpy(good.subarray(0, good.length - 4), 'A.npy')).toThrow(/truncated.*needs 24 bytes.*found 20/);
    expect(() => parseNpy(handMade('<U5', '(2,)', new Uint8Array(40)))).toThrow(/unsupported dtype <U5/);
    expect(() => parseNpy(handMade('>f4', '(1,)', new Uint8Array(4)))).toThrow(/big-endian/);
    expect(() => writeNpy(new Float32Array(5), [2, 3])).toThrow(NpyError);
  });
});
