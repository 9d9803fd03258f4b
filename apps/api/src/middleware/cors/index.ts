import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../../app-env.ts';

/**
 * CORS for the public API (`/v1/*`), so browser apps can call it. Allowed origins come from the
 * `CORS_ORIGINS` variable: a comma list of origins, or `*` (the default: the API authenticates by
 * the Authorization header, never by cookies, so any origin may send what it holds). Answers
 * preflights itself, before authentication, and exposes the headers the SDK reads.
 *
 * @example
 * app.use('/v1/*', publicCors())
 */
export function publicCors(): MiddlewareHandler<AppEnv> {
  return cors({
    origin: (origin, c) => {
      const allowed: string = (c.env as AppEnv['Bindings']).CORS_ORIGINS?.trim() || '*';
      if (allowed === '*') return '*';
      return allowed
        .split(',')
        .map((o) => o.trim())
        .includes(origin)
        ? origin
        : null;
    },
    allowMethods: ['GET', 'POST', 'PATCH', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Prefer', 'Last-Event-ID'],
    exposeHeaders: [
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'X-Request-Id',
      'Location',
    ],
    maxAge: 86400,
  });
}
