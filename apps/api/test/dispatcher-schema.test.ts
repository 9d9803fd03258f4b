import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { seqFloor } from '../src/dispatch-shards.ts';
import type { Account } from '../src/durable-objects/account.ts';
import { ACCOUNT_MIGRATIONS } from '../src/durable-objects/account-schema.ts';
import type { Dispatcher } from '../src/durable-objects/dispatcher.ts';
import { Q } from '../src/durable-objects/dispatcher-queries.ts';
import { DISPATCHER_MIGRATIONS } from '../src/durable-objects/dispatcher-schema.ts';
import { runMigrations } from '../src/durable-objects/schema-migrations.ts';
import type { RpcOf } from '../src/env.ts';
import { admin, newJob, testEnv } from './helpers.ts';

/** A Dispatcher of its own (not the one the API uses), so these tests can rebuild its tables. */
const scratchDispatcher = (name: string) =>
  testEnv.DISPATCHER.get(testEnv.DISPATCHER.idFromName(`schema-test-${name}`));
const rpc = (stub: ReturnType<typeof scratchDispatcher>) => stub as unknown as RpcOf<Dispatcher>;

/** The index each query must use (and, for nextEligible, the running count's too). */
const EXPECTED_INDEX: Record<keyof typeof Q, string[]> = {
  jobById: ['sqlite_autoindex_jobs_1'],
  nextSeq: ['sqlite_autoindex_counters_1'],
  nextEligible: ['jobs_queued', 'jobs_running_by_key'],
  expiredLeases: ['jobs_running_deadline'],
  nextLeaseDeadline: ['jobs_running_deadline'],
  overdueQueued: ['jobs_queue_deadline'],
  nextQueueDeadline: ['jobs_queue_deadline'],
  queuedOfKey: ['jobs_queued_by_key'],
  isRevoked: ['sqlite_autoindex_revoked_keys_1'],
  unsettled: ['jobs_unsettled'],
  unmirrored: ['jobs_unmirrored'],
  oldestFinished: ['jobs_finished'],
  prunable: ['jobs_finished', 'deliveries_by_job'],
  nextEventSeq: ['sqlite_autoindex_events_1'],
  eventsAfter: ['sqlite_autoindex_events_1'],
  nextDeliveryAt: ['deliveries_pending'],
  dueDeliveries: ['deliveries_pending'],
};

/** Every table the object made (not SQLite's or Cloudflare's own). */
const userTables = (sql: SqlStorage) =>
  sql
    .exec(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    )
    .toArray()
    .map((row) => String(row.name));

const PARTIAL_INDEXES = [
  'jobs_queued',
  'jobs_running_by_key',
  'jobs_running_deadline',
  'jobs_unsettled',
  'jobs_unmirrored',
  'jobs_finished',
  'jobs_queue_deadline',
  'jobs_queued_by_key',
  'deliveries_pending',
];

describe('the Dispatcher schema', () => {
  it('answers every hot query from an index, never a scan of the job history', async () => {
    await runInDurableObject(scratchDispatcher('plans'), (_d: Dispatcher, state) => {
      const sql = state.storage.sql;
      for (const [name, query] of Object.entries(Q)) {
        const args = Array.from(query.matchAll(/\?/g), () => (name === 'nextEligible' ? '[]' : 1));
        const plan = sql
          .exec(`EXPLAIN QUERY PLAN ${query}`, ...args)
          .toArray()
          .map((row) => String(row.detail));
        for (const index of EXPECTED_INDEX[name as keyof typeof Q])
          expect(plan.join(' | '), name).toMatch(new RegExp(`INDEX ${index}\\b`));
        for (const step of plan) {
          // A plain table scan reads every row; a scan of a partial index reads only its rows.
          expect(step, `${name}: ${plan.join(' | ')}`).not.toMatch(
            /^SCAN (jobs|j|r|events|deliveries|d)$/,
          );
          const scanned = step.match(/^SCAN \w+ USING (?:COVERING )?INDEX (\w+)/);
          if (scanned) expect(PARTIAL_INDEXES, `${name}: ${step}`).toContain(scanned[1]);
          if (/^SEARCH/.test(step)) expect(step, name).toMatch(/USING/);
        }
      }
    });
  });

  it('migrates tables from before versioning and keeps their jobs', async () => {
    const stub = scratchDispatcher('migration');
    await runInDurableObject(stub, (dispatcher: Dispatcher, state) => {
      const sql = state.storage.sql;
      // The tables as the release before versioning left them, with a job in each state.
      for (const table of userTables(sql)) sql.exec(`DROP TABLE IF EXISTS ${table}`);
      sql.exec(DISPATCHER_MIGRATIONS[0] as string);
      const insert = (id: string, seq: number, status: string, extra = '', value = Date.now()) =>
        sql.exec(
          `INSERT INTO jobs (id, seq, key_id, kind, model, status, input, input_images, cost, base_url,
             created_at, settled, mirrored ${extra ? `, ${extra}` : ''})
           VALUES (?, ?, 'key_old', 'txt2img', 'sdedge-micro', ?, '{"prompt":"old"}', '[]', 3, 'https://x',
             ?, 1, 1 ${extra ? ', ?' : ''})`,
          id,
          seq,
          status,
          Date.now() - 1000,
          ...(extra ? [value] : []),
        );
      insert('job_old_done', 7, 'succeeded', 'finished_at');
      insert('job_old_queued', 8, 'queued');
      insert('job_old_running', 9, 'running', 'lease_deadline', Date.now() + 600000);

      expect(runMigrations(state.storage, DISPATCHER_MIGRATIONS)).toBe(
        DISPATCHER_MIGRATIONS.length,
      );
      // Running them again changes nothing.
      expect(runMigrations(state.storage, DISPATCHER_MIGRATIONS)).toBe(
        DISPATCHER_MIGRATIONS.length,
      );

      expect(dispatcher.getJob('job_old_done')?.status).toBe('succeeded');
      expect(dispatcher.getJob('job_old_queued')).toMatchObject({
        status: 'queued',
        seq: 8,
        input: { prompt: 'old' },
      });
      expect(sql.exec("SELECT value FROM counters WHERE name = 'job_seq'").one().value).toBe(9);
      // Old queued jobs have no queue deadline: they never time out (as before).
      expect(sql.exec(Q.overdueQueued, Date.now() + 1e12, 10).toArray()).toEqual([]);
    });
    // The migrated queue still hands out its job, and a new job is numbered after the old ones.
    const leases = await rpc(stub).lease({
      runnerId: 'r',
      models: ['sdedge-micro'],
      capacity: 2,
      waitSeconds: 0,
      leaseSeconds: 60,
    });
    expect(leases.map((l) => l.job.id)).toEqual(['job_old_queued']);
    const fresh = await rpc(stub).enqueue(newJob('job_new', 'key_old'));
    // Numbered after the old ones, by creation time from now on (seqFloor).
    const seq = 'seq' in fresh ? fresh.seq : 0;
    expect(seq).toBeGreaterThan(9);
    expect(seq).toBeGreaterThanOrEqual(seqFloor(0, Date.now() - 60000));
  });

  it('refuses to start on a schema newer than the code', async () => {
    await runInDurableObject(scratchDispatcher('newer'), (_d: Dispatcher, state) => {
      state.storage.sql.exec('UPDATE schema_version SET version = 99');
      expect(() => runMigrations(state.storage, DISPATCHER_MIGRATIONS)).toThrow(/newer/);
      state.storage.sql.exec('UPDATE schema_version SET version = ?', DISPATCHER_MIGRATIONS.length);
    });
  });

  it("migrates an Account's ledger to a running balance that matches its sum", async () => {
    const stub = testEnv.ACCOUNTS.get(testEnv.ACCOUNTS.idFromName('schema-test-account'));
    await runInDurableObject(stub, (account: Account, state) => {
      const sql = state.storage.sql;
      for (const table of userTables(sql)) sql.exec(`DROP TABLE IF EXISTS ${table}`);
      sql.exec(ACCOUNT_MIGRATIONS[0] as string);
      sql.exec(
        `INSERT INTO ledger (job_id, kind, amount, charged, job_kind, created_at) VALUES
           ('grant_1', 'grant', 100, NULL, NULL, 1), ('job_a', 'reserve', -7, NULL, 'txt2img', 2),
           ('job_a', 'settle', 0, 5, 'txt2img', 3), ('job_a', 'refund', 2, NULL, 'txt2img', 3)`,
      );
      runMigrations(state.storage, ACCOUNT_MIGRATIONS);
      expect(account.balance()).toBe(95);
      // And it moves with the ledger from then on, once per ledger row however often retried.
      account.grant('grant_2', 10);
      account.grant('grant_2', 10);
      expect(account.settle('job_a', 5)).toEqual({ charged: 5, refunded: 2 });
      expect(account.balance()).toBe(105);
      expect(account.balance()).toBe(
        Number(sql.exec('SELECT SUM(amount) AS s FROM ledger').one().s),
      );
    });
  });

  it('seeds a finished history for benchmarks, numbered before the next job', async () => {
    const stub = scratchDispatcher('seed');
    expect(await rpc(stub).seedHistory('key_bench', 1000)).toEqual({ seeded: 1000 });
    await runInDurableObject(stub, (_d: Dispatcher, state) => {
      const sql = state.storage.sql;
      expect(sql.exec("SELECT COUNT(*) AS n FROM jobs WHERE status = 'succeeded'").one().n).toBe(
        1000,
      );
      expect(sql.exec('SELECT COUNT(*) AS n FROM events').one().n).toBe(3000);
      // Seeded jobs are settled and in D1's place already: nothing for the alarm to redo.
      expect(sql.exec(Q.unsettled, 10).toArray()).toEqual([]);
      expect(sql.exec(Q.unmirrored, 10).toArray()).toEqual([]);
    });
    const next = await rpc(stub).enqueue(newJob('job_after_seed', 'key_bench'));
    expect('seq' in next && next.seq).toBeGreaterThan(64 * 1000);
  });

  it('answers the benchmark route only where BENCH_ROUTES is on', async () => {
    const res = await admin('/admin/bench/history', { body: { key_id: 'key_x', count: 10 } });
    expect(res.status).toBe(404);
  });
});
