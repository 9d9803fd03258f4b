import { dispatcherOf, type Env } from '../env.ts';
import { archivedJobs } from './job-history.ts';
import type { JobRecord } from './job-record.ts';

/**
 * A job by id: live from the Dispatcher, or, once pruned there (a day after it ended), its
 * final record from D1. `archived` says which.
 */
export async function findJob(
  env: Env,
  id: string,
): Promise<{ job: JobRecord; archived: boolean } | null> {
  const live = await dispatcherOf(env).getJob(id);
  if (live) return { job: live, archived: false };
  const old = (await archivedJobs(env.DB, [id])).get(id);
  return old ? { job: old, archived: true } : null;
}
