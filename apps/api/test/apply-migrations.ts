import { applyD1Migrations, env } from 'cloudflare:test';

const bindings = env as unknown as {
  DB: D1Database;
  TEST_MIGRATIONS: { name: string; queries: string[] }[];
};
// Setup files run before each test file; applying is idempotent (d1_migrations records it).
await applyD1Migrations(bindings.DB, bindings.TEST_MIGRATIONS);
