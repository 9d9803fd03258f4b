import type { MiddlewareHandler } from 'hono';
import type { RateDecision } from '../../durable-objects/account.ts';
import { ApiError } from '../../errors.ts';

type Ctx = Parameters<MiddlewareHandler>[0];

export interface RateLimitOptions {
  /** Counts one request and decides; the Account Durable Object is the exact counter. */
  hit: (c: Ctx) => Promise<RateDecision>;
  /**
   * Requests whose handler counts them itself (job creation, in the same Account call as its
   * reservation) and reports the decision with `countedRequest`. One that fails before it gets
   * there (a 400, a 403) is counted after it answers, and turned into a 429 if over the limit.
   */
  countedByHandler?: (c: Ctx) => boolean;
}

const decisions = new WeakMap<Ctx, RateDecision>();

/** A handler's own count of its request (see countedByHandler); throws 429 when over. */
export function countedRequest(c: Ctx, decision: RateDecision) {
  decisions.set(c, decision);
  if (!decision.allowed) throw rateLimitedError(decision);
}

function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
  };
}

function rateLimitedError(decision: RateDecision) {
  return new ApiError(
    'rate_limited',
    `Rate limit of ${decision.limit} requests per minute reached; retry in ${decision.resetSeconds} s.`,
    {},
    { ...rateLimitHeaders(decision), 'Retry-After': String(decision.resetSeconds) },
  );
}

/**
 * Requests per minute per key. Every answer carries `RateLimit-Limit`, `RateLimit-Remaining`
 * and `RateLimit-Reset` (IETF draft); a refused one is 429 `rate_limited` with `Retry-After`.
 *
 * @example app.use('/v1/*', rateLimit({ hit: (c) => accountOf(c.env, c.get('apiKey').id).hit(60) }))
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  return async (c, next) => {
    if (options.countedByHandler?.(c)) {
      await next();
      let decision = decisions.get(c);
      if (!decision) {
        decision = await options.hit(c);
        if (!decision.allowed) throw rateLimitedError(decision);
      }
      for (const [name, value] of Object.entries(rateLimitHeaders(decision)))
        c.res.headers.set(name, value);
      return;
    }
    const decision = await options.hit(c);
    if (!decision.allowed) throw rateLimitedError(decision);
    await next();
    for (const [name, value] of Object.entries(rateLimitHeaders(decision)))
      c.res.headers.set(name, value);
  };
}
