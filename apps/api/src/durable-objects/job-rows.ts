import type { JobRecord } from '../jobs/job-record.ts';

/** Dispatcher rows (dispatcher-schema.ts) to records. */
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
