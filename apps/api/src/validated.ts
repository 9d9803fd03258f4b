import type { Context } from 'hono';
import type { AppEnv } from './app-env.ts';

/**
 * What the route's zod-openapi validator accepted. Handlers are registered with loose Context
 * types (they share helpers across routes), so the validated type is named here, once.
 */
export function validated<T>(c: Context<AppEnv>, target: 'json' | 'query' = 'json'): T {
  return (c.req as unknown as { valid: (t: string) => T }).valid(target);
}
