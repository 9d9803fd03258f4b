import type { MiddlewareHandler } from 'hono';
import type { RateDecision } from '../../durable-objects/account.ts';
import { ApiError } from '../../errors.ts';

export interface RateLimitOptions {
  /** Counts one request and decides; the Account Durable Object is the exact counter. */
  hit: (c: Parameters<MiddlewareHandler>[0]) => Promise<RateDecision>;
}

/**
 * Requests per minute per key. Every answer carries `RateLimit-Limit`, `RateLimit-Remaining`
 * and `RateLimit-Reset` (IETF draft); a refused one is 429 `rate_limited` with `Retry-After`.
 *
 * @example app.use('/v1/*', rateLimit({ hit: (c) => accountOf(c.env, c.get('apiKey').id).hit(60) }))
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  return async (c, next) => {
    const decision = await options.hit(c);
    const headers = {
      'RateLimit-Limit': String(decision.limit),
      'RateLimit-Remaining': String(decision.remaining),
      'RateLimit-Reset': String(decision.resetSeconds),
    };
    if (!decision.allowed)
      throw new ApiError(
        'rate_limited',
        `Rate limit of ${decision.limit} requests per minute reached; retry in ${decision.resetSeconds} s.`,
        {},
        { ...headers, 'Retry-After': String(decision.resetSeconds) },
      );
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
