import type { Migration } from './schema-migrations.ts';

/** The Account's SQLite schema, as migrations (schema-migrations.ts): append, never edit. */
export const ACCOUNT_MIGRATIONS: readonly Migration[] = [
  // 1: the schema before versioning.
  `CREATE TABLE IF NOT EXISTS ledger (
    job_id TEXT NOT NULL, kind TEXT NOT NULL, amount INTEGER NOT NULL, charged INTEGER,
    job_kind TEXT, created_at INTEGER NOT NULL, PRIMARY KEY (job_id, kind));
  CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, body_hash TEXT NOT NULL, job_id TEXT NOT NULL, created_at INTEGER NOT NULL);
  DROP TABLE IF EXISTS rate_window;
  CREATE TABLE IF NOT EXISTS rate_bucket (
    tokens REAL NOT NULL, at INTEGER NOT NULL, rate_limit INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS token_jobs (
    token_id TEXT NOT NULL, job_id TEXT NOT NULL, created_at INTEGER NOT NULL,
    PRIMARY KEY (token_id, job_id));`,

  // 2: the balance as a running total (updated with each ledger row) instead of a SUM over the
  // whole ledger per admission; expired idempotency keys found by age.
  `CREATE TABLE balance (credits INTEGER NOT NULL);
  INSERT INTO balance (credits) SELECT COALESCE(SUM(amount), 0) FROM ledger;
  CREATE INDEX idempotency_by_age ON idempotency (created_at);`,
];
