/**
 * API key rows kept in the isolate for a few seconds, so a request with a known key skips the D1
 * read. What it costs: a change made through another isolate (a revocation, new scopes or rate
 * limit) reaches this one within KEY_CACHE_MS; the isolate that made it forgets the key at once.
 * Jobs are never queued for a revoked key meanwhile: the Dispatcher refuses them itself.
 */
export const KEY_CACHE_MS = 10_000;
const MAX_ENTRIES = 10_000;

export interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string;
  rate_limit_per_minute: number;
  revoked_at: string | null;
}

const cache = new Map<string, { row: KeyRow; until: number }>();

export function cachedKey(lookup: string, now = Date.now()): KeyRow | undefined {
  const hit = cache.get(lookup);
  if (hit && hit.until > now) return hit.row;
  if (hit) cache.delete(lookup);
  return undefined;
}

export function cacheKey(lookup: string, row: KeyRow, now = Date.now()) {
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string); // oldest
  cache.set(lookup, { row, until: now + KEY_CACHE_MS });
}

/** Drops every entry of key `id` (after this isolate changed it). */
export function forgetKey(id: string) {
  for (const [lookup, entry] of cache) if (entry.row.id === id) cache.delete(lookup);
}
