import type { Migration } from './schema-migrations.ts';

/**
 * The Dispatcher's SQLite schema, as migrations (schema-migrations.ts): append, never edit.
 *
 * Every query on the request path and in the alarm is served by an index (dispatcher-queries.ts
 * lists them and a test explains each), so their cost does not grow with the job history:
 * partial indexes cover only the rows a query looks for (queued, running, unsettled, ...).
 */
export const DISPATCHER_MIGRATIONS: readonly Migration[] = [
  // 1: the schema before versioning.
  `CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, key_id TEXT NOT NULL, kind TEXT NOT NULL,
    model TEXT NOT NULL, status TEXT NOT NULL, input TEXT NOT NULL, input_images TEXT NOT NULL,
    cost INTEGER NOT NULL, charged INTEGER, attempts INTEGER NOT NULL DEFAULT 0,
    lease_id TEXT, runner_id TEXT, lease_seconds INTEGER, lease_deadline INTEGER,
    progress TEXT, outputs TEXT NOT NULL DEFAULT '[]', error TEXT, runner_seconds REAL,
    webhook TEXT, base_url TEXT NOT NULL,
    created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
    settled INTEGER NOT NULL DEFAULT 0, mirrored INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (status, seq);
  CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
    at INTEGER NOT NULL, PRIMARY KEY (job_id, seq));
  CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY, job_id TEXT NOT NULL, event_seq INTEGER NOT NULL, attempt INTEGER NOT NULL,
    next_at INTEGER NOT NULL, status TEXT NOT NULL, last_error TEXT);`,

  // 2: partial indexes for every hot query; the job sequence as a counter (finished jobs are
  // pruned, so MAX(seq) would go back and hand out a number twice).
  `DROP INDEX jobs_queued;
  CREATE INDEX jobs_queued ON jobs (model, seq) WHERE status = 'queued';
  CREATE INDEX jobs_running_by_key ON jobs (key_id) WHERE status = 'running';
  CREATE INDEX jobs_running_deadline ON jobs (lease_deadline) WHERE status = 'running';
  CREATE INDEX jobs_unsettled ON jobs (finished_at) WHERE settled = 0 AND finished_at IS NOT NULL;
  CREATE INDEX jobs_unmirrored ON jobs (seq) WHERE mirrored = 0;
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  CREATE INDEX deliveries_pending ON deliveries (next_at) WHERE status = 'pending';
  CREATE INDEX deliveries_by_job ON deliveries (job_id);
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO counters (name, value) SELECT 'job_seq', COALESCE(MAX(seq), 0) FROM jobs;`,

  // 3: queue deadlines: a job no runner takes in time fails and is refunded.
  `ALTER TABLE jobs ADD COLUMN queue_timeout INTEGER;
  ALTER TABLE jobs ADD COLUMN queue_deadline INTEGER;
  CREATE INDEX jobs_queue_deadline ON jobs (queue_deadline) WHERE status = 'queued';`,

  // 4: revoked keys: their queued jobs are canceled at revocation and no new job is queued.
  `CREATE TABLE revoked_keys (key_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);
  CREATE INDEX jobs_queued_by_key ON jobs (key_id) WHERE status = 'queued';`,

  // 5: which models runners have asked work for, and when last (GET /v1/models lists those).
  `CREATE TABLE served_models (model TEXT PRIMARY KEY, runner_id TEXT NOT NULL, seen_at INTEGER NOT NULL);`,
];
