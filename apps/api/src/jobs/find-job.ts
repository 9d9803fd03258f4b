import { shardOfJob } from '../dispatch-shards.ts';
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
  const live = await dispatcherOf(env, id).getJob(id);
  if (live) return { job: live, archived: false };
  const old = (await archivedJobs(env.DB, [id])).get(id);
  return old ? { job: old, archived: true } : null;
}

/** Jobs by id from their shards, in the order given (ids not found are left out). */
export async function getLiveJobs(env: Env, ids: string[]): Promise<JobRecord[]> {
  const byShard = new Map<number, string[]>();
  for (const id of ids) byShard.set(shardOfJob(id), [...(byShard.get(shardOfJob(id)) ?? []), id]);
  const found = new Map<string, JobRecord>();
  await Promise.all(
    [...byShard.values()].map(async (shardIds) => {
      for (const job of await dispatcherOf(env, shardIds[0] as string).getJobs(shardIds))
        found.set(job.id, job);
    }),
  );
  return ids.map((id) => found.get(id)).filter((job): job is JobRecord => job !== undefined);
}
