import { DurableObject } from 'cloudflare:workers';
import { seqFloor, shardOfJob } from '../dispatch-shards.ts';
import { accountOf, type Env } from '../env.ts';
import { type ApiErrorData, apiErrorData } from '../errors.ts';
import { newId, randomToken } from '../hashing.ts';
import { openEventStream, type StoredEvent } from '../jobs/event-stream.ts';
import { historyStatement, mirrorToHistory } from '../jobs/job-history.ts';
import {
  isTerminal,
  type JobEventType,
  type JobOutput,
  type JobProgress,
  type JobRecord,
  toPublicJob,
} from '../jobs/job-record.ts';
import { uploadKey } from '../jobs/output-keys.ts';
import { webhookUrlPolicy } from '../jobs/webhook-url.ts';
import { Q } from './dispatcher-queries.ts';
import { DISPATCHER_MIGRATIONS } from './dispatcher-schema.ts';
import { rowToJob } from './job-rows.ts';
import { migrateSchema } from './schema-migrations.ts';
import { WebhookOutbox } from './webhook-outbox.ts';

export type NewJob = Pick<
  JobRecord,
  'id' | 'keyId' | 'kind' | 'model' | 'input' | 'inputImages' | 'cost' | 'webhook' | 'baseUrl'
> & {
  /** A job no runner has taken this long after it was queued fails, refunded in full. */
  queueTimeoutSeconds: number;
};

export interface LeaseRequest {
  runnerId: string;
  models: string[];
  capacity: number;
  waitSeconds: number;
  leaseSeconds: number;
  /** Names this long poll, so stopWaiting can end it (leases across shards). */
  pollId?: string;
}

export interface Lease {
  leaseId: string;
  leaseDeadline: number;
  job: JobRecord;
}

export interface RunnerEvent {
  type: 'progress';
  step: number;
  total_steps: number;
  frame?: number;
  frames?: number;
  preview?: string;
}

/** A lease that expires puts its job back in the queue, at most this many attempts in all. */
export const MAX_ATTEMPTS = 3;

/**
 * How long a finished job stays in the Dispatcher: its event stream can be resumed and its
 * webhooks retried (they give up within two hours). After that the job, its events and its
 * deliveries are pruned, and reads answer it from its D1 history row.
 */
export const FINISHED_JOB_RETENTION_MS = 24 * 3600 * 1000;

/** The alarm's work per run on each kind of backlog; it runs again at once while more is left. */
const ALARM_BATCH = 200;

/** New jobs' D1 history rows are written this long after creation, together. */
const HISTORY_FLUSH_MS = 50;

type Watcher = (event: StoredEvent, job: JobRecord) => void;

/**
 * The queue and every job's live state, in one Durable Object: one order, one place that hands
 * out leases, so a job is leased to one runner at a time and completes at most once.
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
  private watchers = new Map<string, Set<Watcher>>();
  private leaseWaiters = new Set<() => void>();
  /** Long polls told to stop (stopWaiting), by poll id, with when. */
  private stoppedPolls = new Map<string, number>();
  private outbox: WebhookOutbox;

  private flushTimer: ReturnType<typeof setTimeout> | undefined;
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
    this.emit(job.id, 'queued', { attempt: 0 });
    for (const wake of this.leaseWaiters) wake();
    // Its D1 history row is written off the request path, batched with others' (flushHistory).
    this.flushHistorySoon();
    await this.scheduleAlarm();
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
   * Writes the D1 history rows not yet written, in one batch. Job creation leaves its row to
   * this (run HISTORY_FLUSH_MS later, or by the alarm), so a listing calls it first to see
   * every job it has made.
   */
  async flushHistory(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const sql = this.ctx.storage.sql;
    const jobs = sql
      .exec(Q.unmirrored, ALARM_BATCH)
      .toArray()
      .map((row) => this.get(String(row.id)));
    if (jobs.length === 0) return;
    try {
      await this.env.DB.batch(jobs.map((job) => historyStatement(this.env.DB, job)));
      for (const job of jobs)
        sql.exec('UPDATE jobs SET mirrored = 1 WHERE id = ? AND status = ?', job.id, job.status);
    } catch (error) {
      console.error('writing job history failed, the alarm retries it', error);
    }
  }

  private flushHistorySoon() {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushHistory();
    }, HISTORY_FLUSH_MS);
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
      const unwatch = this.watch(id, watcher);
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
    this.finish(id, 'canceled', { charged: used, error: null });
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
      this.finish(id, 'canceled', {
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
      for (const id of this.expireLeases()) await this.sideEffects(id);
      const leases = this.takeJobs(request);
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
    for (const wake of this.leaseWaiters) wake();
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
    const held = this.heldLease(jobId, leaseId);
    if ('apiError' in held) return held;
    const deadline = Date.now() + held.leaseSeconds * 1000;
    this.ctx.storage.sql.exec('UPDATE jobs SET lease_deadline = ? WHERE id = ?', deadline, jobId);
    await this.scheduleAlarm();
    return { canceled: false, leaseDeadline: deadline };
  }

  /** Whether `leaseId` still holds the job (for uploads, which go to R2, not here). */
  checkLease(jobId: string, leaseId: string): { ok: true } | ApiErrorData {
    const held = this.heldLease(jobId, leaseId);
    return 'apiError' in held ? held : { ok: true };
  }

  async reportEvents(
    jobId: string,
    leaseId: string,
    events: RunnerEvent[],
  ): Promise<{ canceled: boolean } | ApiErrorData> {
    const job = this.find(jobId);
    if (job?.status === 'canceled') return { canceled: true };
    const held = this.heldLease(jobId, leaseId);
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
      this.emit(
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
    const held = this.heldLease(jobId, leaseId);
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
      this.emit(jobId, 'output', output);
    this.finish(jobId, 'succeeded', { charged: job.cost, error: null });
    await this.sideEffects(jobId);
    return this.get(jobId);
  }

  async fail(
    jobId: string,
    leaseId: string,
    failure: { code: string; message: string; retryable: boolean; runnerSeconds?: number },
  ): Promise<JobRecord | ApiErrorData> {
    const held = this.heldLease(jobId, leaseId);
    if ('apiError' in held) return held;
    if (failure.runnerSeconds !== undefined)
      this.ctx.storage.sql.exec(
        'UPDATE jobs SET runner_seconds = ? WHERE id = ?',
        failure.runnerSeconds,
        jobId,
      );
    if (failure.retryable && held.job.attempts < MAX_ATTEMPTS) this.requeue(jobId);
    else
      this.finish(jobId, 'failed', {
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
    const held = this.heldLease(jobId, leaseId);
    if ('apiError' in held) return held;
    this.ctx.storage.sql.exec('UPDATE jobs SET attempts = attempts - 1 WHERE id = ?', jobId);
    this.requeue(jobId);
    await this.sideEffects(jobId);
    return this.get(jobId);
  }

  // ---- time ---------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null; // a fired alarm is no longer set
    for (const id of this.expireLeases()) await this.sideEffects(id, { reschedule: false });
    for (const id of this.expireQueued()) await this.sideEffects(id, { reschedule: false });
    const sql = this.ctx.storage.sql;
    const pending = new Set(
      [
        ...sql.exec(Q.unsettled, ALARM_BATCH).toArray(),
        ...sql.exec(Q.unmirrored, ALARM_BATCH).toArray(),
      ].map((row) => String(row.id)),
    );
    for (const id of pending) await this.sideEffects(id, { reschedule: false });
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
      .exec(Q.prunable, Date.now() - FINISHED_JOB_RETENTION_MS, ALARM_BATCH)
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
      backlog: this.eventsAfter(jobId, after),
      after,
      ended: isTerminal(job.status),
      subscribe: (listener) =>
        this.watch(jobId, (event, now) => listener(event, isTerminal(now.status))),
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
    const row = this.ctx.storage.sql.exec(Q.jobById, id).toArray()[0];
    return row ? rowToJob(row) : null;
  }

  private get(id: string): JobRecord {
    const job = this.find(id);
    if (!job) throw new Error(`job ${id} vanished`);
    return job;
  }

  private watch(jobId: string, watcher: Watcher): () => void {
    const set = this.watchers.get(jobId) ?? new Set<Watcher>();
    this.watchers.set(jobId, set);
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0) this.watchers.delete(jobId);
    };
  }

  private eventsAfter(jobId: string, after: number): StoredEvent[] {
    return this.ctx.storage.sql
      .exec(Q.eventsAfter, jobId, after)
      .toArray()
      .map((r) => ({ seq: Number(r.seq), type: String(r.type), data: JSON.parse(String(r.data)) }));
  }

  /** Appends an event, tells watchers, and queues webhook deliveries the job asked for. */
  private emit(jobId: string, type: JobEventType, data: unknown) {
    const sql = this.ctx.storage.sql;
    const seq = Number(sql.exec(Q.nextEventSeq, jobId).one().s);
    const now = Date.now();
    sql.exec(
      'INSERT INTO events (job_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)',
      jobId,
      seq,
      type,
      JSON.stringify(data),
      now,
    );
    const job = this.get(jobId);
    if (job.webhook?.events.includes(type) && type !== 'progress') this.outbox.enqueue(jobId, seq);
    for (const watcher of [...(this.watchers.get(jobId) ?? [])]) watcher({ seq, type, data }, job);
  }

  private takeJobs(request: LeaseRequest): Lease[] {
    const sql = this.ctx.storage.sql;
    const leases: Lease[] = [];
    // One at a time: each lease changes the running counts that order the next pick.
    for (let i = 0; i < request.capacity; i++) {
      const next = this.nextEligible(request.models);
      if (!next) break;
      const id = String(next.id);
      const leaseId = newId('lease');
      const now = Date.now();
      const deadline = now + request.leaseSeconds * 1000;
      sql.exec(
        `UPDATE jobs SET status = 'running', lease_id = ?, runner_id = ?, lease_seconds = ?, lease_deadline = ?,
           attempts = attempts + 1, started_at = COALESCE(started_at, ?), mirrored = 0 WHERE id = ?`,
        leaseId,
        request.runnerId,
        request.leaseSeconds,
        deadline,
        now,
        id,
      );
      const job = this.get(id);
      this.emit(id, 'started', { attempt: job.attempts, runner_id: request.runnerId });
      leases.push({ leaseId, leaseDeadline: deadline, job });
    }
    return leases;
  }

  private nextEligible(models: string[]) {
    return this.ctx.storage.sql.exec(Q.nextEligible, JSON.stringify(models)).toArray()[0];
  }

  private heldLease(
    jobId: string,
    leaseId: string,
  ): { job: JobRecord; leaseSeconds: number } | ApiErrorData {
    const row = this.ctx.storage.sql.exec(Q.jobById, jobId).toArray()[0];
    if (!row) return apiErrorData('job_not_found', `No job ${jobId}.`);
    const job = rowToJob(row);
    if (job.status === 'canceled')
      return apiErrorData('job_finished', `Job ${jobId} was canceled.`, { status: job.status });
    if (job.status !== 'running' || row.lease_id !== leaseId)
      return apiErrorData(
        'lease_lost',
        `This lease on job ${jobId} is no longer held (expired or superseded).`,
      );
    return { job, leaseSeconds: Number(row.lease_seconds) };
  }

  /** Running jobs past their lease deadline: back to the queue, or failed after the last attempt. */
  private expireLeases(): string[] {
    const expired = this.ctx.storage.sql.exec(Q.expiredLeases, Date.now(), ALARM_BATCH).toArray();
    for (const row of expired) {
      const id = String(row.id);
      if (Number(row.attempts) < MAX_ATTEMPTS) this.requeue(id);
      else
        this.finish(id, 'failed', {
          charged: 0,
          error: {
            code: 'lease_expired',
            message: `No runner finished this job in ${MAX_ATTEMPTS} attempts.`,
          },
        });
    }
    return expired.map((r) => String(r.id));
  }

  /** Queued jobs no runner took before their queue deadline: failed, refunded in full. */
  private expireQueued(): string[] {
    const overdue = this.ctx.storage.sql.exec(Q.overdueQueued, Date.now(), ALARM_BATCH).toArray();
    for (const row of overdue)
      this.finish(String(row.id), 'failed', {
        charged: 0,
        error: {
          code: 'queue_timeout',
          message: `No runner took this job within ${row.queue_timeout} seconds; its credits are refunded.`,
        },
      });
    return overdue.map((r) => String(r.id));
  }

  /** Back to the queue (a lease lost or handed back), with a fresh queue deadline. */
  private requeue(id: string) {
    this.ctx.storage.sql.exec(
      `UPDATE jobs SET status = 'queued', lease_id = NULL, runner_id = NULL, lease_deadline = NULL, mirrored = 0,
         queue_deadline = ? + queue_timeout * 1000 WHERE id = ?`,
      Date.now(),
      id,
    );
    this.emit(id, 'queued', { attempt: this.get(id).attempts });
    for (const wake of this.leaseWaiters) wake();
  }

  private finish(
    id: string,
    status: 'succeeded' | 'failed' | 'canceled',
    end: { charged: number; error: { code: string; message: string } | null },
  ) {
    this.ctx.storage.sql.exec(
      `UPDATE jobs SET status = ?, charged = ?, error = ?, finished_at = ?, lease_id = NULL, lease_deadline = NULL,
         settled = 0, mirrored = 0 WHERE id = ?`,
      status,
      end.charged,
      end.error ? JSON.stringify(end.error) : null,
      Date.now(),
      id,
    );
    const job = this.get(id);
    this.emit(id, status, status === 'failed' ? { error: job.error } : { credits: job.charged });
  }

  /**
   * Settles credits and writes the D1 history row (with the whole record once the job has
   * ended: D1 answers for it after it is pruned here); the alarm retries what fails.
   */
  private async sideEffects(id: string, options = { reschedule: true }) {
    const job = this.get(id);
    const row = this.ctx.storage.sql
      .exec('SELECT settled, mirrored FROM jobs WHERE id = ?', id)
      .one();
    try {
      if (isTerminal(job.status) && Number(row.settled) === 0) {
        await accountOf(this.env, job.keyId).settle(id, job.charged ?? 0);
        this.ctx.storage.sql.exec('UPDATE jobs SET settled = 1 WHERE id = ?', id);
      }
      if (Number(row.mirrored) === 0) {
        await mirrorToHistory(this.env.DB, job);
        // Only if nothing changed meanwhile: a newer status must be written again.
        this.ctx.storage.sql.exec(
          'UPDATE jobs SET mirrored = 1 WHERE id = ? AND status = ?',
          id,
          job.status,
        );
      }
    } catch (error) {
      console.error(`side effects of ${id} failed, the alarm retries them`, error);
    }
    if (options.reschedule) await this.scheduleAlarm();
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
    if (pending) times.push(now + 5000);
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
    const next = Math.max(Math.min(...times), now);
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > next) {
      await this.ctx.storage.setAlarm(next);
      this.alarmAt = next;
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
