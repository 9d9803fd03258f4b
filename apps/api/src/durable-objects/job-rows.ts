import type { JobRecord } from '../jobs/job-record.ts';

/** The Dispatcher's SQLite schema, and rows to records. */
export const DISPATCHER_SCHEMA = `
  CREATE TABLE IF NOT EXISTS jobs (
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
    next_at INTEGER NOT NULL, status TEXT NOT NULL, last_error TEXT);
`;

type Row = Record<string, SqlStorageValue>;

const json = <T>(value: SqlStorageValue, fallback: T): T =>
  value === null || value === undefined ? fallback : (JSON.parse(String(value)) as T);
const num = (value: SqlStorageValue) => (value === null ? null : Number(value));

export function rowToJob(row: Row): JobRecord {
  return {
    id: String(row.id),
    seq: Number(row.seq),
    keyId: String(row.key_id),
    kind: row.kind as JobRecord['kind'],
    model: String(row.model),
    status: row.status as JobRecord['status'],
    input: json(row.input, {}),
    inputImages: json(row.input_images, []),
    cost: Number(row.cost),
    charged: num(row.charged),
    attempts: Number(row.attempts),
    progress: json(row.progress, null),
    outputs: json(row.outputs, []),
    error: json(row.error, null),
    runnerSeconds: num(row.runner_seconds),
    webhook: json(row.webhook, null),
    baseUrl: String(row.base_url),
    createdAt: Number(row.created_at),
    startedAt: num(row.started_at),
    finishedAt: num(row.finished_at),
  };
}
