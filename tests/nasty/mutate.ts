/**
 * fast-check arbitraries for fuzzing importers with damaged copies of real files: truncation,
 * byte flips, inserted and deleted runs. Shared by the *.fuzz.test.ts files.
 */
import fc from 'fast-check';

export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
);
export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 6 });

export function mutate(base: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = base.slice();
  for (const m of ms) {
    const at = b.length ? m.at % (b.length + 1) : 0;
    if (m.kind === 'truncate') b = b.slice(0, at);
    else if (m.kind === 'flip') { if (b.length) b[at % b.length] = m.value; }
    else if (m.kind === 'insert') { const o = new Uint8Array(b.length + m.bytes.length); o.set(b.subarray(0, at)); o.set(m.bytes, at); o.set(b.subarray(at), at + m.bytes.length); b = o; }
    else {
      const tail = b.subarray(Math.min(b.length, at + m.n));
      const o = new Uint8Array(at + tail.length);
      o.set(b.subarray(0, at));
      o.set(tail, at);
      b = o;
    }
  }
  return b;
}

/** Text mutation: same, on the UTF-8 bytes, decoded back leniently. */
export function mutateText(base: string, ms: readonly Mutation[]): string {
  return new TextDecoder().decode(mutate(new TextEncoder().encode(base), ms));
}

/** Replace the value at a random path inside a JSON document by another JSON value. */
export const jsonValueArb = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e300, -1e-300, 'NaN', 'Infinity', '-Infinity', '', '__proto__', [], {}),
  fc.double(), fc.string({ maxLength: 12 }), fc.integer(),
  fc.array(fc.double(), { maxLength: 4 }),
);
export function replaceAt(doc: unknown, pick: number[], value: unknown): unknown {
  const root = structuredClone(doc);
  let cur: unknown = root;
  for (let d = 0; d < pick.length; d++) {
    if (cur === null || typeof cur !== 'object') break;
    const keys = Object.keys(cur as object);
    if (!keys.length) break;
    const k = keys[pick[d] % keys.length];
    const child = (cur as Record<string, unknown>)[k];
    if (d === pick.length - 1 || child === null || typeof child !== 'object') {
      (cur as Record<string, unknown>)[k] = value;
      break;
    }
    cur = child;
  }
  return root;
}
export const pathArb = fc.array(fc.nat(), { minLength: 1, maxLength: 6 });
