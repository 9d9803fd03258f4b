/**
 * Versioned SQLite schemas for Durable Objects. Each object stores the number of migrations it
 * has run in `schema_version`; on start it runs the ones after that, each in one transaction,
 * inside blockConcurrencyWhile so no request sees a half-migrated schema. Migrations are only
 * ever appended: an object created under an older release keeps its rows and catches up.
 *
 * The first migration of each object is the schema it had before versioning, written with
 * IF NOT EXISTS, so objects created before `schema_version` existed pass through it unchanged.
 */
export type Migration = string;

export function migrateSchema(ctx: DurableObjectState, migrations: readonly Migration[]): void {
  void ctx.blockConcurrencyWhile(async () => runMigrations(ctx.storage, migrations));
}

/** The migrations `storage` has not run yet, run in order; returns the version it is now at. */
export function runMigrations(
  storage: DurableObjectStorage,
  migrations: readonly Migration[],
): number {
  const sql = storage.sql;
  sql.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = sql.exec('SELECT version FROM schema_version').toArray()[0];
  let version = row ? Number(row.version) : 0;
  if (version > migrations.length)
    throw new Error(
      `This object's schema is at version ${version}, newer than this code's ${migrations.length}.`,
    );
  for (; version < migrations.length; version++) {
    const next = version + 1;
    storage.transactionSync(() => {
      sql.exec(migrations[version] as string);
      sql.exec('DELETE FROM schema_version');
      sql.exec('INSERT INTO schema_version (version) VALUES (?)', next);
    });
  }
  return version;
}
