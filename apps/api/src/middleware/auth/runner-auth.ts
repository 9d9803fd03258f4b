import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.ts';
import { ApiError } from '../../errors.ts';
import { sha256Hex } from '../../hashing.ts';
import { bearer, tokenAuth } from './index.ts';

/** Per-runner tokens start so: they are looked up in D1, everything else is the shared token. */
export const RUNNER_TOKEN_PREFIX = 'rt_';

/**
 * /runner/* auth: a runner host's own token (POST /admin/runner-tokens), checked in D1 on every
 * call so a revocation takes effect at the runner's next request; or the shared RUNNER_TOKEN
 * (local development; a deployment that sets it to an empty secret accepts only runner tokens).
 */
export function runnerAuth(): MiddlewareHandler<AppEnv> {
  const shared = tokenAuth({ token: (c) => c.env.RUNNER_TOKEN, realm: 'runner' });
  return async (c, next) => {
    const given = bearer(c.req.header('Authorization'));
    if (!given?.startsWith(RUNNER_TOKEN_PREFIX)) {
      await shared(c, next); // awaited: workerd reports a returned rejected promise as unhandled
      return;
    }
    const row = await c.env.DB.prepare('SELECT revoked_at FROM runner_tokens WHERE hash = ?')
      .bind(await sha256Hex(given))
      .first<{ revoked_at: string | null }>();
    if (!row) throw new ApiError('unauthorized', 'Wrong runner token.');
    if (row.revoked_at) throw new ApiError('unauthorized', 'This runner token was revoked.');
    await next();
  };
}
