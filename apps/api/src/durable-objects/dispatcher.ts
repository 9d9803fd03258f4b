import { DurableObject } from 'cloudflare:workers';
import { seqFloor, shardOfJob } from '../dispatch-shards.ts';
import type { Env } from '../env.ts';
import { type ApiErrorData, apiErrorData } from '../errors.ts';
import { randomToken } from '../hashing.ts';
import { openEventStream } from '../jobs/event-stream.ts';
import {
  isTerminal,
  type JobOutput,
  type JobProgress,
  type JobRecord,
  toPublicJob,
} from '../jobs/job-record.ts';
import { uploadKey } from '../jobs/output-keys.ts';
import { webhookUrlPolicy } from '../jobs/webhook-url.ts';
import { BATCH, Q } from './dispatcher-queries.ts';
import { DISPATCHER_MIGRATIONS } from './dispatcher-schema.ts';
import { JobEventLog, type Watcher } from './job-event-log.ts';
import { JobSettlement } from './job-settlement.ts';
import { JobStates, type Lease, type LeaseRequest, MAX_ATTEMPTS } from './job-states.ts';
import { migrateSchema } from './schema-migrations.ts';
import { WebhookOutbox } from './webhook-outbox.ts';

export type NewJob = Pick<
  JobRecord,
  'id' | 'keyId' | 'kind' | 'model' | 'input' | 'inputImages' | 'cost' | 'webhook' | 'baseUrl'
> & {
  /** A job no runner has taken this long after it was queued fails, refunded in full. */
  queueTimeoutSeconds: number;
};

export type { Lease, LeaseRequest } from './job-states.ts';
export { MAX_ATTEMPTS } from './job-states.ts';

export interface RunnerEvent {
  type: 'progress';
  step: number;
  total_steps: number;
  frame?: number;
  frames?: number;
  preview?: string;
}

/**
 * How long a finished job stays in the Dispatcher: its event stream can be resumed and its
 * webhooks retried (they give up within two hours). After that the job, its events and its
 * deliveries are pruned, and reads answer it from its D1 history row.
 */
export const FINISHED_JOB_RETENTION_MS = 24 * 3600 * 1000;

/** How soon the alarm retries an unsettled job or an unwritten D1 history row. */
const SIDE_EFFECT_RETRY_MS = 5000;

/**
 * The queue and every job's live state, in one Durable Object per shard (dispatch-shards.ts):
 * one order, one place that hands out a job's leases, so a job is leased to one runner at a time
 * and completes at most once. This class is the RPC surface, the long polls and the alarm; the
 * concerns live beside it: the state machine (job-states.ts), the event log (job-event-log.ts),
 * settlement and D1 history (job-settlement.ts), webhooks (webhook-outbox.ts), the schema and its
 * queries (dispatcher-schema.ts, dispatcher-queries.ts).
 *
 * Fair order: each key's jobs go in creation order; across keys, the next job comes from the key
 * with the fewest jobs running now, the older job first among equals. A key with a thousand jobs
 * queued thus gets one runner while another key's single job waits for the next free runner, not
 * behind the thousand.
 *
 * Side effects that leave the object (D1 history, settling credits in the Account, webhooks) run
 * after the state change is written; what fails is retried by the alarm, so nothing is lost.
 */
export class Dispatcher extends DurableObject<Env> {
  private leaseWaiters = new Set<() => void>();
  /** Long polls told to stop (stopWaiting), by poll id, with when. */
  private stoppedPolls = new Map<string, number>();
  private outbox: WebhookOutbox;

  private events: JobEventLog;
  private states: JobStates;
  private settlement: JobSettlement;
  /** When the alarm is set for (null: none); undefined until read once from storage. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateSchema(ctx, DISPATCHER_MIGRATIONS);
    this.outbox = new WebhookOutbox(
      ctx.storage.sql,
      env.SIGNING_SECRET,
      webhookUrlPolicy(env),
      (work) => ctx.waitUntil(work),
    );
    const jobById = (id: string) => this.states.get(id);
    this.events = new JobEventLog(ctx.storage.sql, this.outbox, jobById);
    this.states = new JobStates(ctx.storage.sql, this.events, () => this.wakeLeaseWaiters());
    this.settlement = new JobSettlement(ctx.storage.sql, env, jobById);
  }

  private wakeLeaseWaiters() {
    for (const wake of this.leaseWaiters) wake();
  }

  // ---- public API side ------------------------------------------------------------------

  async enqueue(job: NewJob): Promise<JobRecord | ApiErrorData> {
    const sql = this.ctx.storage.sql;
    const existing = this.find(job.id);
    if (existing) return existing;
    // A request that passed auth just before its key was revoked.
    if (sql.exec(Q.isRevoked, job.keyId).toArray().length)
      return apiErrorData('unauthorized', 'This API key has been revoked.');
    const now = Date.now();
    const seq = Number(sql.exec(Q.nextSeq, seqFloor(shardOfJob(job.id), now)).one().value);
    sql.exec(
      `INSERT INTO jobs (id, seq, key_id, kind, model, status, input, input_images, cost, webhook, base_url,
         created_at, queue_timeout, queue_deadline)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
      job.id,
      seq,
      job.keyId,
      job.kind,
      job.model,
      JSON.stringify(job.input),
      JSON.stringify(job.inputImages),
      job.cost,
      job.webhook ? JSON.stringify(job.webhook) : null,
      job.baseUrl,
      now,
      job.queueTimeoutSeconds,
      now + job.queueTimeoutSeconds * 1000,
    );
    this.events.append(job.id, 'queued', { attempt: 0 });
    this.wakeLeaseWaiters();
    // Its D1 history row is written off the request path, batched with others' (flushHistory).
    this.settlement.flushSoon();
    // The new job adds one deadline and one pending D1 write; every earlier deadline is already
    // covered by the alarm, so there is no need to recompute them all on the request path.
    await this.alarmNoLaterThan(
      now + Math.min(SIDE_EFFECT_RETRY_MS, job.queueTimeoutSeconds * 1000),
    );
    return this.get(job.id);
  }

  getJob(id: string): JobRecord | null {
    return this.find(id);
  }

  /** Jobs by id, in the order given (ids that do not exist are left out). */
  getJobs(ids: string[]): JobRecord[] {
    return ids.map((id) => this.find(id)).filter((job): job is JobRecord => job !== null);
  }

  /**
   * Writes the D1 history rows not yet written, in one batch (job-settlement.ts). Job creation
   * leaves its row to this, so a listing calls it first to see every job it has made.
   */
  flushHistory(): Promise<void> {
    return this.settlement.flushHistory();
  }

  /** Resolves when the job ends or `ms` pass, with the job as it then is. */
  async waitForEnd(id: string, ms: number): Promise<JobRecord | null> {
    const job = this.find(id);
    if (!job || isTerminal(job.status) || ms <= 0) return job;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const watcher: Watcher = (_event, now) => {
        if (isTerminal(now.status)) done();
      };
      function done() {
        clearTimeout(timer);
        unwatch();
        resolve();
      }
      const unwatch = this.events.watch(id, watcher);
    });
    return this.find(id);
  }

  /**
   * Cancels a job: a queued job ends at once and is refunded in full; a running job ends at once
   * too (the runner learns it at its next heartbeat) and is charged for the share it finished.
   * Canceling a canceled job changes nothing; a succeeded or failed one is job_finished.
   */
  async cancel(id: string): Promise<JobRecord | ApiErrorData> {
    const job = this.find(id);
    if (!job) return apiErrorData('job_not_found', `No job ${id}.`);
    if (job.status === 'canceled') return job; // a retried cancel answers as the first did
    if (isTerminal(job.status))
      return apiErrorData('job_finished', `Job ${id} already ended (${job.status}).`, {
        status: job.status,
      });
    const used = job.status === 'running' ? Math.ceil(job.cost * doneFraction(job.progress)) : 0;
    this.states.finish(id, 'canceled', { charged: used, error: null });
    await this.sideEffects(id);
    return this.get(id);
  }

  /**
   * A key was revoked: its queued jobs are canceled and refunded in full, and no job of it is
   * queued from now on. Jobs already running finish (and are charged) as they would have.
   */
  async revokeKey(keyId: string): Promise<{ canceled: string[] }> {
    const sql = this.ctx.storage.sql;
    sql.exec(
      'INSERT OR IGNORE INTO revoked_keys (key_id, revoked_at) VALUES (?, ?)',
      keyId,
      Date.now(),
    );
    const queued = sql
      .exec(Q.queuedOfKey, keyId)
      .toArray()
      .map((row) => String(row.id));
    for (const id of queued)
      this.states.finish(id, 'canceled', {
        charged: 0,
        error: { code: 'key_revoked', message: 'The API key that made this job was revoked.' },
      });
    for (const id of queued) await this.sideEffects(id);
    return { canceled: queued };
  }

  // ---- runner side ----------------------------------------------------------------------

  /** Long poll: leases up to `capacity` eligible jobs, waiting up to `waitSeconds` for one. */
  async lease(request: LeaseRequest): Promise<Lease[]> {
    const deadline = Date.now() + request.waitSeconds * 1000;
    this.noteServedModels(request);
    for (;;) {
      for (const id of this.states.expireLeases()) await this.sideEffects(id);
      const leases = this.states.take(request);
      if (leases.length > 0) {
        for (const lease of leases) await this.sideEffects(lease.job.id);
        await this.scheduleAlarm();
        return leases;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.pollStopped(request.pollId)) return [];
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.leaseWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.leaseWaiters.add(wake);
      });
    }
  }

  /** Ends the long poll `pollId` (now, or when it arrives, if it has not yet). */
  stopWaiting(pollId: string) {
    this.stoppedPolls.set(pollId, Date.now());
    this.wakeLeaseWaiters();
  }

  private pollStopped(pollId: string | undefined): boolean {
    if (!pollId || !this.stoppedPolls.has(pollId)) return false;
    this.stoppedPolls.delete(pollId);
    // Stops for polls that never came (their call failed) are forgotten after a minute.
    for (const [id, at] of this.stoppedPolls)
      if (at < Date.now() - 60000) this.stoppedPolls.delete(id);
    return true;
  }

  /** Models some runner asked work for since `since` (ms), with when it last did. */
  servedModels(since: number): { model: string; seenAt: number }[] {
    return this.ctx.storage.sql
      .exec('SELECT model, seen_at FROM served_models WHERE seen_at >= ? ORDER BY model', since)
      .toArray()
      .map((row) => ({ model: String(row.model), seenAt: Number(row.seen_at) }));
  }

  /** Written at most every 10 s per model: a runner long-polls often. */
  private noteServedModels(request: LeaseRequest) {
    const now = Date.now();
    for (const model of request.models)
      this.ctx.storage.sql.exec(
        `INSERT INTO served_models (model, runner_id, seen_at) VALUES (?, ?, ?)
         ON CONFLICT (model) DO UPDATE SET runner_id = excluded.runner_id, seen_at = excluded.seen_at
         WHERE excluded.seen_at > served_models.seen_at + 10000`,
        model,
        request.runnerId,
        now,
      );
  }

  async heartbeat(
    jobId: string,
    leaseId: string,
  ): Promise<{ canceled: boolean; leaseDeadline: number } | ApiErrorData> {
    const job = this.find(jobId);
    if (job?.status === 'canceled') return { canceled: true, leaseDeadline: 0 };
    const held = this.states.held(jobId, leaseId);
    if ('apiError' in held) return held;
    const deadline = Date.now() + held.leaseSeconds * 1000;
    this.ctx.storage.sql.exec('UPDATE jobs SET lease_deadline = ? WHERE id = ?', deadline, jobId);
    await this.scheduleAlarm();
    return { canceled: false, leaseDeadline: deadline };
  }

  /** Whether `leaseId` still holds the job (for uploads, which go to R2, not here). */
  checkLease(jobId: string, leaseId: string): { ok: true } | ApiErrorData {
    const held = this.states.held(jobId, leaseId);
    return 'apiError' in held ? held : { ok: true };
  }

  async reportEvents(
    jobId: string,
    leaseId: string,
    events: RunnerEvent[],
  ): Promise<{ canceled: boolean } | ApiErrorData> {
    const job = this.find(jobId);
    if (job?.status === 'canceled') return { canceled: true };
    const held = this.states.held(jobId, leaseId);
    if ('apiError' in held) return held;
    for (const event of events) {
      const progress: JobProgress = { step: event.step, total_steps: event.total_steps };
      if (event.frame !== undefined) progress.frame = event.frame;
      if (event.frames !== undefined) progress.frames = event.frames;
      this.ctx.storage.sql.exec(
        'UPDATE jobs SET progress = ? WHERE id = ?',
        JSON.stringify(progress),
        jobId,
      );
      this.events.append(
        jobId,
        'progress',
        event.preview ? { ...progress, preview: event.preview } : progress,
      );
    }
    return { canceled: false };
  }

  async complete(
    jobId: string,
    leaseId: string,
    result: { outputs: JobOutput[]; runnerSeconds: number },
  ): Promise<JobRecord | ApiErrorData> {
    const held = this.states.held(jobId, leaseId);
    if ('apiError' in held) return held;
    const sql = this.ctx.storage.sql;
    const outputs = result.outputs.map((o) => ({ ...o, key: uploadKey(jobId, leaseId, o.name) }));
    sql.exec(
      'UPDATE jobs SET outputs = ?, runner_seconds = ? WHERE id = ?',
      JSON.stringify(outputs),
      result.runnerSeconds,
      jobId,
    );
    const job = this.get(jobId);
    for (const output of (await toPublicJob(job, this.env.SIGNING_SECRET)).outputs)
      this.events.append(jobId, 'output', output);
    this.states.finish(jobId, 'succeeded', { charged: job.cost, error: null });
    await this.sideEffects(jobId);
    return this.get(jobId);
  }

  async fail(
    jobId: string,
    leaseId: string,
    failure: { code: string; message: string; retryable: boolean; runnerSeconds?: number },
  ): Promise<JobRecord | ApiErrorData> {
    const held = this.states.held(jobId, leaseId);
    if ('apiError' in held) return held;
    if (failure.runnerSeconds !== undefined)
      this.ctx.storage.sql.exec(
        'UPDATE jobs SET runner_seconds = ? WHERE id = ?',
        failure.runnerSeconds,
        jobId,
      );
    if (failure.retryable && held.job.attempts < MAX_ATTEMPTS) this.states.requeue(jobId);
    else
      this.states.finish(jobId, 'failed', {
        charged: 0,
        error: { code: failure.code, message: failure.message },
      });
    await this.sideEffects(jobId);
    return this.get(jobId);
  }

  /**
   * A runner hands back a lease it will not work on (it is shutting down): the job goes back to
   * the queue at once, and the attempt does not count.
   */
  async release(jobId: string, leaseId: string): Promise<JobRecord | ApiErrorData> {
    const held = this.states.held(jobId, leaseId);
    if ('apiError' in held) return held;
    this.ctx.storage.sql.exec('UPDATE jobs SET attempts = attempts - 1 WHERE id = ?', jobId);
    this.states.requeue(jobId);
    await this.sideEffects(jobId);
    return this.get(jobId);
  }

  // ---- time ---------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null; // a fired alarm is no longer set
    this.states.expireLeases();
    this.states.expireQueued();
    // What state changes still owe the world: the D1 history rows in one batch, then credits.
    await this.settlement.flushHistory();
    for (const row of this.ctx.storage.sql.exec(Q.unsettled, BATCH).toArray())
      await this.settlement.settle(String(row.id));
    this.startDeliveries();
    this.pruneFinished();
    await this.scheduleAlarm();
  }

  /** Starts due webhook deliveries; each one that ends starts the next (see WebhookOutbox). */
  private startDeliveries() {
    this.outbox.startDue(
      (id) => this.get(id),
      () => {
        this.startDeliveries();
        void this.scheduleAlarm();
      },
    );
  }

  /**
   * Finished jobs leave the Dispatcher FINISHED_JOB_RETENTION_MS after they end, with their
   * events and deliveries, once settled and written to D1 (which answers for them from then on).
   */
  private pruneFinished() {
    const sql = this.ctx.storage.sql;
    const old = sql
      .exec(Q.prunable, Date.now() - FINISHED_JOB_RETENTION_MS, BATCH)
      .toArray()
      .map((row) => String(row.id));
    for (const id of old) {
      sql.exec('DELETE FROM events WHERE job_id = ?', id);
      sql.exec('DELETE FROM deliveries WHERE job_id = ?', id);
      sql.exec('DELETE FROM jobs WHERE id = ?', id);
    }
  }

  /** Server-Sent Events: GET /events?job=ID with an optional Last-Event-ID header. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const jobId = url.searchParams.get('job') ?? '';
    const after =
      Number(request.headers.get('Last-Event-ID') ?? url.searchParams.get('after') ?? 0) || 0;
    const job = this.find(jobId);
    if (!job) return new Response('not found', { status: 404 });
    return openEventStream({
      backlog: this.events.after(jobId, after),
      after,
      ended: isTerminal(job.status),
      subscribe: (listener) =>
        this.events.watch(jobId, (event, now) => listener(event, isTerminal(now.status))),
    });
  }

  /**
   * Benchmarks only (POST /admin/bench/history, on when BENCH_ROUTES is "true"): stores `count`
   * finished jobs of `keyId`, each with its three events, as a busy day's history looks, in one
   * statement per table.
   */
  seedHistory(keyId: string, count: number): { seeded: number } {
    const sql = this.ctx.storage.sql;
    const first = Number(sql.exec("SELECT value FROM counters WHERE name = 'job_seq'").one().value);
    const batch = `job_seed${randomToken(8)}_`;
    const now = Date.now();
    const numbers = 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)';
    sql.exec(
      `${numbers} INSERT INTO jobs (id, seq, key_id, kind, model, status, input, input_images, cost, charged,
         attempts, outputs, base_url, created_at, started_at, finished_at, settled, mirrored, queue_timeout)
       SELECT ? || i, ? + 64 * i, ?, 'txt2img', 'sdedge-micro', 'succeeded',
         '{"prompt":"seeded history"}', '[]', 1, 1, 1, '[]', 'http://seed', ?, ?, ?, 1, 1, 3600 FROM n`,
      count,
      batch,
      first,
      keyId,
      now,
      now,
      now,
    );
    sql.exec(
      `${numbers}, t(seq, type) AS (VALUES (1, 'queued'), (2, 'started'), (3, 'succeeded'))
       INSERT INTO events (job_id, seq, type, data, at)
       SELECT ? || i, t.seq, t.type, '{}', ? FROM n, t`,
      count,
      batch,
      now,
    );
    sql.exec("UPDATE counters SET value = ? WHERE name = 'job_seq'", first + 64 * count);
    return { seeded: count };
  }

  // ---- internals ------------------------------------------------------------------------------

  private find(id: string): JobRecord | null {
    return this.states.find(id);
  }

  private get(id: string): JobRecord {
    return this.states.get(id);
  }

  /** Settles credits and writes the D1 history row (job-settlement.ts), then moves the alarm. */
  private async sideEffects(id: string) {
    await this.settlement.settle(id);
    await this.scheduleAlarm();
  }

  /**
   * The alarm fires at the next lease or queue deadline, webhook retry, pending side effect or
   * prune. The time it is set for is kept in memory, so a request reads storage only when it
   * moves the alarm earlier.
   */
  private async scheduleAlarm() {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    const times = [
      sql.exec(Q.nextLeaseDeadline).one().t,
      sql.exec(Q.nextQueueDeadline).one().t,
      this.outbox.nextDueAt(),
    ]
      .filter((t) => t !== null)
      .map(Number);
    const pending =
      sql.exec(Q.unsettled, 1).toArray().length + sql.exec(Q.unmirrored, 1).toArray().length;
    if (pending) times.push(now + SIDE_EFFECT_RETRY_MS);
    const oldestFinished = sql.exec(Q.oldestFinished).one().t;
    if (oldestFinished !== null) {
      const pruneAt = Number(oldestFinished) + FINISHED_JOB_RETENTION_MS;
      if (pruneAt > now) times.push(pruneAt);
      else if (sql.exec(Q.prunable, now - FINISHED_JOB_RETENTION_MS, 1).toArray().length)
        times.push(now); // more than one batch to prune
      // Past due but not prunable: it waits on a side effect or a webhook, which retry on their own.
      else times.push(now + 60000);
    }
    if (times.length === 0) return;
    await this.alarmNoLaterThan(Math.max(Math.min(...times), now));
  }

  /** Sets the alarm for `at` unless it is already set sooner (it recomputes when it fires). */
  private async alarmNoLaterThan(at: number) {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > at) {
      await this.ctx.storage.setAlarm(at);
      this.alarmAt = at;
    }
  }
}

function doneFraction(progress: JobProgress | null): number {
  if (!progress) return 0;
  if (progress.frames)
    return Math.min(
      1,
      ((progress.frame ?? 0) + progress.step / Math.max(1, progress.total_steps)) / progress.frames,
    );
  return Math.min(1, progress.step / Math.max(1, progress.total_steps));
}
