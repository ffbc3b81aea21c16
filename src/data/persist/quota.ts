/**
 * Recognising "the disk (or this site's share of it) is full" across browsers. The standard is a
 * DOMException named QuotaExceededError (Chromium and Safari report IndexedDB quota failures as
 * the transaction's error with that name); older engines used legacy codes.
 */
export function isQuotaError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const x = e as { name?: unknown; code?: unknown; message?: unknown; inner?: unknown };
  if (x.name === 'QuotaExceededError' || x.name === 'NS_ERROR_DOM_QUOTA_REACHED') return true;
  // 22: legacy QUOTA_EXCEEDED_ERR (Safari, old Chromium); 1014: Firefox's NS_ERROR_DOM_QUOTA_REACHED.
  if (x.code === 22 || x.code === 1014) return true;
  // Some engines raise a generic UnknownError/AbortError whose message names the quota.
  return typeof x.message === 'string' && /quota|disk is full|not enough (disk )?space/i.test(x.message);
}

/** Bytes of a structured-clonable value: typed arrays exactly, strings at 2 bytes a char, the rest estimated. */
export function approxBytes(v: unknown, seen = new Set<object>()): number {
  if (v == null) return 8;
  switch (typeof v) {
    case 'number': case 'boolean': return 8;
    case 'string': return 2 * v.length;
    case 'object': break;
    default: return 0;
  }
  const o = v as object;
  if (seen.has(o)) return 0;
  seen.add(o);
  if (ArrayBuffer.isView(o)) return o.byteLength;
  if (o instanceof ArrayBuffer) return o.byteLength;
  let n = 16;
  if (Array.isArray(o)) for (const x of o) n += approxBytes(x, seen);
  else if (o instanceof Map) for (const [k, x] of o) n += approxBytes(k, seen) + approxBytes(x, seen);
  else for (const k of Object.keys(o)) n += 2 * k.length + approxBytes((o as Record<string, unknown>)[k], seen);
  return n;
}
