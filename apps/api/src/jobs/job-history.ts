import { isTerminal, type JobRecord } from './job-record.ts';

/**
 * The jobs table in D1: the listing index of every key's jobs, and the archive of finished
 * ones. The Dispatcher writes a row at every status change; once a job has ended the row also
 * carries its final record, which never changes again, so reads of a pruned job answer from it.
 */
export async function mirrorToHistory(db: D1Database, job: JobRecord): Promise<void> {
  await historyStatement(db, job).run();
}

/** The upsert of `job`'s history row (for one run, or several in a D1 batch). */
export function historyStatement(db: D1Database, job: JobRecord): D1PreparedStatement {
  const record = isTerminal(job.status) ? JSON.stringify(job) : null;
  return db
    .prepare(
      `INSERT INTO jobs (id, key_id, seq, kind, model, status, created_at, finished_at, record)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at,
         record = excluded.record
       WHERE jobs.record IS NULL`, // a final row is never overwritten by a late, older write
    )
    .bind(
      job.id,
      job.keyId,
      job.seq,
      job.kind,
      job.model,
      job.status,
      new Date(job.createdAt).toISOString(),
      job.finishedAt ? new Date(job.finishedAt).toISOString() : null,
      record,
    );
}

/** Final records of ended jobs, by id (ids without one are left out). */
export async function archivedJobs(db: D1Database, ids: string[]): Promise<Map<string, JobRecord>> {
  const found = new Map<string, JobRecord>();
  if (ids.length === 0) return found;
  const rows = await db
    .prepare(
      `SELECT id, record FROM jobs WHERE record IS NOT NULL AND id IN (SELECT value FROM json_each(?))`,
    )
    .bind(JSON.stringify(ids))
    .all<{ id: string; record: string }>();
  for (const row of rows.results) found.set(row.id, JSON.parse(row.record) as JobRecord);
  return found;
}
