/**
 * NumPy .npy files (format versions 1–3), parsed from and written to bytes: the exchange format
 * of the command line and of embeddings computed elsewhere. Pure: no file system here.
 *
 * Reading accepts little-endian float16/32/64, signed/unsigned integers and bool, C order.
 * Everything numeric is handed back as float64 so callers convert once to what they need.
 */

export interface NpyArray {
  dtype: string;
  shape: number[];
  /** The values in C order, converted to numbers. */
  data: Float64Array;
}

export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const READERS: Record<string, { size: number; get: (v: DataView, o: number) => number }> = {
  f2: { size: 2, get: (v, o) => half(v.getUint16(o, true)) },
  f4: { size: 4, get: (v, o) => v.getFloat32(o, true) },
  f8: { size: 8, get: (v, o) => v.getFloat64(o, true) },
  i1: { size: 1, get: (v, o) => v.getInt8(o) },
  u1: { size: 1, get: (v, o) => v.getUint8(o) },
  b1: { size: 1, get: (v, o) => v.getUint8(o) },
  i2: { size: 2, get: (v, o) => v.getInt16(o, true) },
  u2: { size: 2, get: (v, o) => v.getUint16(o, true) },
  i4: { size: 4, get: (v, o) => v.getInt32(o, true) },
  u4: { size: 4, get: (v, o) => v.getUint32(o, true) },
  i8: { size: 8, get: (v, o) => Number(v.getBigInt64(o, true)) },
  u8: { size: 8, get: (v, o) => Number(v.getBigUint64(o, true)) },
};

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Where the values of a .npy file are and how to read them (everything checked but the values). */
interface NpyLayout {
  dtype: string;
  shape: number[];
  count: number;
  dataStart: number;
  reader: { size: number; get: (v: DataView, o: number) => number };
  /** The element kind without byte order: 'f4', 'f8', 'i8', … */
  kind: string;
}

function npyLayout(bytes: Uint8Array, name: string): NpyLayout {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new NpyError(`${name} is not a .npy file (it does not start with the NumPy magic bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new NpyError(`${name}: unsupported .npy format version ${major}`);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw new NpyError(`${name} is truncated (the header runs past the end)`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLen > bytes.length) throw new NpyError(`${name} is truncated (the header runs past the end)`);
  let header = '';
  for (let i = headerStart; i < headerStart + headerLen; i++) header += String.fromCharCode(bytes[i]);

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`${name}: malformed .npy header`);
  }
  if (fortran === 'True') throw new NpyError(`${name}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NpyError(`${name}: malformed shape (${shapeText})`);

  const m = /^([<>|=]?)([a-z])(\d+)$/.exec(descr);
  const kind = m ? `${m[2]}${m[3]}` : descr;
  const reader = READERS[kind === 'b1' || kind === '?1' ? 'b1' : kind];
  if (!m || !reader) throw new NpyError(`${name}: unsupported dtype ${descr} (use float32, float64 or an integer type)`);
  if (m[1] === '>' && reader.size > 1) throw new NpyError(`${name}: big-endian data (${descr}) is not supported; save little-endian`);

  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const expected = count * reader.size;
  if (bytes.length - dataStart < expected) {
    throw new NpyError(`${name} is truncated: shape (${shape.join(', ')}) needs ${expected} bytes of data, found ${bytes.length - dataStart}`);
  }
  return { dtype: descr, shape, count, dataStart, reader, kind };
}

/** Parse a .npy file. `name` only serves the error messages. */
export function parseNpy(bytes: Uint8Array, name = 'the file'): NpyArray {
  const { dtype, shape, count, dataStart, reader } = npyLayout(bytes, name);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.get(view, dataStart + i * reader.size);
  return { dtype, shape, data };
}

/**
 * Parse a .npy file straight to float32, for large embedding files: float32 data is copied as
 * is (no float64 intermediate: a 100k×5×512 file would need 2 GB as float64), other dtypes are
 * converted value by value. `kind` says what the file held ('f2', 'f4', 'f8', 'i8', …).
 */
export function parseNpyFloat32(bytes: Uint8Array, name = 'the file'): { dtype: string; kind: string; shape: number[]; data: Float32Array } {
  const { dtype, shape, count, dataStart, reader, kind } = npyLayout(bytes, name);
  if (kind === 'f4') {
    const copy = bytes.slice(dataStart, dataStart + count * 4);
    return { dtype, kind, shape, data: new Float32Array(copy.buffer, 0, count) };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.get(view, dataStart + i * reader.size);
  return { dtype, kind, shape, data };
}

/** Write a float32 or int32 array as a version-1 .npy file. */
export function writeNpy(data: Float32Array | Int32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new NpyError(`shape (${shape.join(', ')}) holds ${count} values, got ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad so the data starts on a 64-byte boundary, as NumPy does; the header ends with a newline.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
