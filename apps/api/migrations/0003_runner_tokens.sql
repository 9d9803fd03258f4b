-- A token per runner host (admin routes /admin/runner-tokens), revocable one by one; only the
-- SHA-256 of a token is stored. The shared RUNNER_TOKEN stays for local development.
CREATE TABLE runner_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
