-- API keys: only the SHA-256 of a key is stored, with a visible prefix to tell keys apart.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,              -- JSON array: images, videos, read
  rate_limit_per_minute INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);

-- Job history for listing (the Dispatcher Durable Object owns live state and writes here).
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX jobs_by_key ON jobs (key_id, seq DESC);
