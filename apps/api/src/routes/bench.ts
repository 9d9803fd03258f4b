import type { App } from '../app-env.ts';
import { allDispatchers } from '../env.ts';
import { ApiError } from '../errors.ts';

/**
 * Routes for benchmarks under `wrangler dev` only: answered when the BENCH_ROUTES var is "true"
 * (bench/api.ts sets it), 404 otherwise; behind the admin token either way, and not in the
 * OpenAPI document.
 */
export function registerBenchRoutes(app: App) {
  /** Preloads the Dispatcher with `count` finished jobs of key `key_id` (bench/api.ts's 100k row). */
  app.post('/admin/bench/history', async (c) => {
    if (c.env.BENCH_ROUTES !== 'true') throw new ApiError('not_found', 'No such route.');
    const body = (await c.req.json().catch(() => null)) as { key_id?: unknown; count?: unknown };
    const count = Number(body?.count);
    if (typeof body?.key_id !== 'string' || !Number.isInteger(count) || count < 1 || count > 1e6)
      throw new ApiError('invalid_request', 'Give key_id and a count of 1 to 1000000.');
    // Into shard 0 (the one a single-shard deployment has).
    const [first] = allDispatchers(c.env);
    return c.json(await (first as NonNullable<typeof first>).seedHistory(body.key_id, count));
  });
}
