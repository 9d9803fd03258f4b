/**
 * A token bucket: `limit` requests a minute, refilled continuously (limit / 60 a second) up to
 * `limit`. Unlike a fixed one-minute window it never lets 2 x limit through across a minute
 * boundary; a burst of `limit` is the most, then one request per 60 / limit seconds.
 */
export interface Bucket {
  tokens: number;
  at: number;
  /** The limit it was filled under: a changed limit adds (or takes) the difference at once. */
  limit: number;
}

export interface BucketDecision {
  allowed: boolean;
  bucket: Bucket;
  remaining: number;
  /** Seconds until the next request would be allowed (after a refusal), or until full. */
  resetSeconds: number;
}

export function takeToken(previous: Bucket | null, limit: number, now: number): BucketDecision {
  const perMs = limit / 60000;
  const carried = previous ? Math.max(0, previous.tokens + limit - previous.limit) : limit;
  const elapsed = previous ? Math.max(0, now - previous.at) : 0;
  const refilled = Math.min(limit, carried + elapsed * perMs);
  if (refilled < 1)
    return {
      allowed: false,
      bucket: { tokens: refilled, at: now, limit },
      remaining: 0,
      resetSeconds: Math.ceil((1 - refilled) / perMs / 1000),
    };
  const tokens = refilled - 1;
  return {
    allowed: true,
    bucket: { tokens, at: now, limit },
    remaining: Math.floor(tokens),
    resetSeconds: Math.ceil((limit - tokens) / perMs / 1000),
  };
}
