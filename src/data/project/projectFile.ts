/**
 * The whole-project file (DESIGN.md "Persistence and files"): one zip holding
 *
 *     project.json           manifest: format, version, generator, the project as JSON (session
 *                            and provenance, classes, concepts, settings, dataset metadata) with
 *                            every typed array replaced by {"$array": index}
 *     arrays/NNNN.<dtype>    those arrays, raw little-endian (f32 / f64 / i32 / u32 / u8), with
 *                            dtype, length and shape listed in project.json's `arrays`
 *     thumbs/NNNNN.<ext>     thumbnails as image files, listed in project.json's `thumbs`
 *
 * Reading validates everything before returning anything: the zip's size and entry count
 * (zip bombs), every entry name (no absolute paths, no `..`), the manifest (zod), each array's
 * byte length against its dtype × length and shape, and finiteness of float arrays. Pure: no DOM,
 * no I/O — the state layer maps its store to the payload and back and checks the meaning.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { z } from 'zod';

export const PROJECT_FORMAT = 'concept-tuning-studio/project';
export const PROJECT_VERSION = 1;

/** Refusal limits for reading (overridable, e.g. smaller in tests). */
export interface ReadLimits {
  /** Sum of the declared uncompressed sizes of all entries. */
  maxTotalBytes: number;
  maxEntries: number;
}
/** Deepest nesting of the payload (the studio writes ~10; deeper is hostile and would overflow the stack). */
const MAX_DEPTH = 200;
export const DEFAULT_LIMITS: ReadLimits = { maxTotalBytes: 1024 ** 3, maxEntries: 250_000 };

type DType = 'f32' | 'f64' | 'i32' | 'u32' | 'u8';
type Typed = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
const CTOR = { f32: Float32Array, f64: Float64Array, i32: Int32Array, u32: Uint32Array, u8: Uint8Array } as const;

function dtypeOf(v: unknown): DType | null {
  if (v instanceof Float32Array) return 'f32';
  if (v instanceof Float64Array) return 'f64';
  if (v instanceof Int32Array) return 'i32';
  if (v instanceof Uint32Array) return 'u32';
  if (v instanceof Uint8Array) return 'u8';
  return null;
}

const arrayEntry = z.object({
  path: z.string(),
  dtype: z.enum(['f32', 'f64', 'i32', 'u32', 'u8']),
  length: z.number().int().nonnegative(),
  /** Row-major shape when the array is a matrix (product = length); [length] otherwise. */
  shape: z.array(z.number().int().nonnegative()).min(1),
});
export type ArrayEntry = z.infer<typeof arrayEntry>;

const manifestSchema = z.object({
  format: z.literal(PROJECT_FORMAT),
  version: z.number().int().positive(),
  generator: z.string(),
  createdAt: z.string(),
  arrays: z.array(arrayEntry),
  /** One entry per image: a thumbnail path inside the zip, or null. */
  thumbs: z.array(z.string().nullable()).nullable(),
  payload: z.unknown(),
});
export type ProjectManifest = z.infer<typeof manifestSchema>;

export interface Thumbnail {
  bytes: Uint8Array;
  /** File extension without the dot: png, jpg, webp. */
  ext: string;
}

export interface PackInput {
  generator: string;
  /** Any JSON-able value; typed arrays anywhere inside become binary entries. */
  payload: unknown;
  /** Shapes for arrays, looked up by identity (matrices); others get [length]. */
  shapes?: Map<unknown, number[]>;
  thumbs?: (Thumbnail | null)[] | null;
  createdAt?: string;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Raw little-endian bytes of a typed array. */
function toLE(a: Typed): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (littleEndian || a.BYTES_PER_ELEMENT === 1) return bytes.slice();
  const out = new Uint8Array(bytes.length);
  const k = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += k) for (let b = 0; b < k; b++) out[i + b] = bytes[i + k - 1 - b];
  return out;
}

function fromLE(bytes: Uint8Array, dtype: DType): Typed {
  const C = CTOR[dtype];
  const k = C.BYTES_PER_ELEMENT;
  const copy = bytes.slice();
  if (!littleEndian && k > 1) {
    for (let i = 0; i < copy.length; i += k) copy.subarray(i, i + k).reverse();
  }
  return new C(copy.buffer, 0, copy.length / k);
}

/** Write the project zip. Arrays are stored uncompressed-friendly (deflate level 1), JSON at level 6. */
export function packProject(input: PackInput): Uint8Array {
  const arrays: ArrayEntry[] = [];
  const files: Zippable = {};
  const seen = new Map<Typed, number>();
  const encode = (v: unknown): unknown => {
    const dt = dtypeOf(v);
    if (dt) {
      const a = v as Typed;
      const known = seen.get(a);
      if (known != null) return { $array: known };
      const k = arrays.length;
      const path = `arrays/${String(k).padStart(4, '0')}.${dt}`;
      arrays.push({ path, dtype: dt, length: a.length, shape: input.shapes?.get(a) ?? [a.length] });
      files[path] = [toLE(a), { level: 1 }];
      seen.set(a, k);
      return { $array: k };
    }
    if (Array.isArray(v)) return v.map(encode);
    if (v && typeof v === 'object') {
      if (ArrayBuffer.isView(v)) throw new Error(`cannot store a ${v.constructor.name} in a project file`);
      const out: Record<string, unknown> = {};
      for (const [key, x] of Object.entries(v)) if (x !== undefined) out[key] = encode(x);
      return out;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`cannot store the number ${v} in a project file`);
    return v;
  };
  const payload = encode(input.payload);
  let thumbs: (string | null)[] | null = null;
  if (input.thumbs) {
    thumbs = input.thumbs.map((t, i) => {
      if (!t) return null;
      const ext = /^[a-z0-9]{1,5}$/.test(t.ext) ? t.ext : 'bin';
      const path = `thumbs/${String(i).padStart(5, '0')}.${ext}`;
      files[path] = [t.bytes, { level: 0 }];
      return path;
    });
  }
  const manifest: ProjectManifest = {
    format: PROJECT_FORMAT, version: PROJECT_VERSION, generator: input.generator,
    createdAt: input.createdAt ?? new Date().toISOString(), arrays, thumbs, payload,
  };
  files['project.json'] = [new TextEncoder().encode(JSON.stringify(manifest)), { level: 6 }];
  return zipSync(files);
}

export interface UnpackedProject {
  generator: string;
  createdAt: string;
  /** The payload with its typed arrays restored. */
  payload: unknown;
  thumbs: (Thumbnail | null)[] | null;
}

export type UnpackResult = { ok: true; value: UnpackedProject } | { ok: false; error: string };

/** Why an entry name is unsafe (absolute, `..`, backslashes, drive letters), or null. */
export function unsafeEntryName(name: string): string | null {
  if (!name) return 'an empty name';
  if (name.includes('\0')) return 'a NUL character';
  if (name.includes('\\')) return 'a backslash';
  if (name.startsWith('/')) return 'an absolute path';
  if (/^[a-zA-Z]:/.test(name)) return 'a drive letter';
  if (name.split('/').some((seg) => seg === '..')) return 'a ".." segment';
  return null;
}

/**
 * fflate's unzip behind the guards every zip the studio opens gets: no unsafe entry name, at
 * most `maxEntries` entries, and at most `maxTotalBytes` unpacked over the entries `keep` takes
 * (only those are decompressed at all). `problem` is one sentence for the user, or null.
 */
export function unzipGuarded(bytes: Uint8Array, limits: ReadLimits, keep: (name: string) => boolean):
  { ok: true; files: Record<string, Uint8Array> } | { ok: false; problem: string } {
  let entries = 0;
  let total = 0;
  let problem: string | null = null;
  try {
    const files = unzipSync(bytes, {
      filter: (f) => {
        if (problem) return false;
        entries++;
        const bad = unsafeEntryName(f.name);
        if (bad) problem = `entry '${f.name}' has ${bad}; refusing the file`;
        else if (entries > limits.maxEntries) problem = `more than ${limits.maxEntries.toLocaleString('en')} entries; refusing the file`;
        if (problem || !keep(f.name)) return false;
        total += f.originalSize;
        if (total > limits.maxTotalBytes) problem = `it would unpack to more than ${fmtBytes(limits.maxTotalBytes)}; refusing the file`;
        return !problem;
      },
    });
    return problem ? { ok: false, problem } : { ok: true, files };
  } catch (e) {
    return { ok: false, problem: problem ?? `the zip is damaged (${(e as Error).message})` };
  }
}

/**
 * Read and validate a project zip. On any problem: `{ ok: false, error }` with one specific
 * message (what is wrong and where) and nothing else.
 */
export function unpackProject(bytes: Uint8Array, limits: ReadLimits = DEFAULT_LIMITS): UnpackResult {
  const fail = (error: string): UnpackResult => ({ ok: false, error });
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) return fail('not a zip file (a project file is the .zip the studio exports)');
  // Only what the format defines is decompressed at all.
  const unzipped = unzipGuarded(bytes, limits, (name) => name === 'project.json' || name.startsWith('arrays/') || name.startsWith('thumbs/'));
  if (!unzipped.ok) return fail(unzipped.problem);
  const files = unzipped.files;
  // Own entries only: a manifest naming 'constructor' or '__proto__' must not reach Object.prototype.
  const entry = (name: string): Uint8Array | undefined => (Object.hasOwn(files, name) ? files[name] : undefined);
  const mj = entry('project.json');
  if (!mj) return fail('project.json is missing: this is not a project file');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(mj));
  } catch (e) {
    return fail(`project.json is not valid JSON (${(e as Error).message})`);
  }
  const head = z.object({ format: z.unknown(), version: z.unknown() }).safeParse(json);
  if (head.success && head.data.format === PROJECT_FORMAT && typeof head.data.version === 'number' && head.data.version > PROJECT_VERSION) {
    return fail(`project.json has version ${head.data.version}; this studio reads up to ${PROJECT_VERSION}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`project.json: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  const m = parsed.data;
  const arrays: Typed[] = [];
  for (let k = 0; k < m.arrays.length; k++) {
    const a = m.arrays[k];
    const where = `project.json arrays[${k}] (${a.path})`;
    const data = entry(a.path);
    if (!data) return fail(`${where}: the file is missing from the zip`);
    const size = CTOR[a.dtype].BYTES_PER_ELEMENT;
    if (data.length !== a.length * size) return fail(`${where}: holds ${data.length} bytes but ${a.length} ${a.dtype} values need ${a.length * size}`);
    const prod = a.shape.reduce((p, d) => p * d, 1);
    if (prod !== a.length) return fail(`${where}: shape [${a.shape.join(', ')}] has ${prod} values but the array has ${a.length}`);
    const arr = fromLE(data, a.dtype);
    if (a.dtype === 'f32' || a.dtype === 'f64') {
      for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) return fail(`${where}: value ${i} is ${arr[i]}, not a finite number`);
    }
    arrays.push(arr);
  }
  let refError: string | null = null;
  const decode = (v: unknown, path: string, depth: number): unknown => {
    if (refError) return null;
    if (depth > MAX_DEPTH) {
      refError = `project.json ${path.slice(0, 80)}…: nested more than ${MAX_DEPTH} levels deep; refusing the file`;
      return null;
    }
    if (Array.isArray(v)) return v.map((x, i) => decode(x, `${path}[${i}]`, depth + 1));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('$array' in o) {
        const k = o.$array;
        if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= arrays.length) {
          refError = `project.json ${path}: refers to array ${String(k)}, but the file lists ${arrays.length}`;
          return null;
        }
        return arrays[k];
      }
      const out: Record<string, unknown> = {};
      // defineProperty: a "__proto__" key stays a plain key instead of replacing the prototype.
      for (const [key, x] of Object.entries(o)) {
        Object.defineProperty(out, key, { value: decode(x, path ? `${path}.${key}` : key, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return v;
  };
  const payload = decode(m.payload, 'payload', 0);
  if (refError) return fail(refError);
  let thumbs: (Thumbnail | null)[] | null = null;
  if (m.thumbs) {
    thumbs = [];
    for (let i = 0; i < m.thumbs.length; i++) {
      const p = m.thumbs[i];
      if (p == null) { thumbs.push(null); continue; }
      const b = entry(p);
      if (!b) return fail(`project.json thumbs[${i}]: '${p}' is missing from the zip`);
      thumbs.push({ bytes: b, ext: p.split('.').pop() ?? 'bin' });
    }
  }
  return { ok: true, value: { generator: m.generator, createdAt: m.createdAt, payload, thumbs } };
}

function fmtBytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${n} bytes`;
}
