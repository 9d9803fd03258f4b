import { type ApiErrorData, apiErrorData } from '../errors.ts';
import { newId } from '../hashing.ts';
import type { JobRecord } from '../jobs/job-record.ts';
import { BATCH, Q } from './dispatcher-queries.ts';
import type { JobEventLog } from './job-event-log.ts';
import { rowToJob } from './job-rows.ts';

/** A lease that expires puts its job back in the queue, at most this many attempts in all. */
export const MAX_ATTEMPTS = 3;

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

export type EndStatus = 'succeeded' | 'failed' | 'canceled';

/**
 * The job state machine in a Dispatcher's SQLite:
 *
 *   queued -> running (take) -> succeeded | failed | canceled (finish)
 *   running -> queued (requeue: a lost or handed-back lease, a retryable failure)
 *   queued -> failed (its queue deadline) | canceled
 *
 * Every transition is one synchronous write followed by its event, so it cannot interleave with
 * another; a lease is checked by its id on every runner call (held), so a superseded runner can
 * never complete a job.
 */
export class JobStates {
  constructor(
    private readonly sql: SqlStorage,
    private readonly events: JobEventLog,
    /** Tells waiting long polls that a job is queued. */
    private readonly onQueued: () => void,
  ) {}

  find(id: string): JobRecord | null {
    const row = this.sql.exec(Q.jobById, id).toArray()[0];
    return row ? rowToJob(row) : null;
  }

  get(id: string): JobRecord {
    const job = this.find(id);
    if (!job) throw new Error(`job ${id} vanished`);
    return job;
  }

  /** Leases up to `capacity` eligible jobs in fair order (see dispatcher-queries.ts). */
  take(request: LeaseRequest): Lease[] {
    const leases: Lease[] = [];
    // One at a time: each lease changes the running counts that order the next pick.
    for (let i = 0; i < request.capacity; i++) {
      const next = this.sql.exec(Q.nextEligible, JSON.stringify(request.models)).toArray()[0];
      if (!next) break;
      const id = String(next.id);
      const leaseId = newId('lease');
      const now = Date.now();
      const deadline = now + request.leaseSeconds * 1000;
      this.sql.exec(
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
      this.events.append(id, 'started', { attempt: job.attempts, runner_id: request.runnerId });
      leases.push({ leaseId, leaseDeadline: deadline, job });
    }
    return leases;
  }

  /** The job, if `leaseId` still holds it; else why not (lease_lost, job_finished, ...). */
  held(jobId: string, leaseId: string): { job: JobRecord; leaseSeconds: number } | ApiErrorData {
    const row = this.sql.exec(Q.jobById, jobId).toArray()[0];
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
  expireLeases(): string[] {
    const expired = this.sql.exec(Q.expiredLeases, Date.now(), BATCH).toArray();
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
  expireQueued(): string[] {
    const overdue = this.sql.exec(Q.overdueQueued, Date.now(), BATCH).toArray();
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
  requeue(id: string) {
    this.sql.exec(
      `UPDATE jobs SET status = 'queued', lease_id = NULL, runner_id = NULL, lease_deadline = NULL, mirrored = 0,
         queue_deadline = ? + queue_timeout * 1000 WHERE id = ?`,
      Date.now(),
      id,
    );
    this.events.append(id, 'queued', { attempt: this.get(id).attempts });
    this.onQueued();
  }

  finish(
    id: string,
    status: EndStatus,
    end: { charged: number; error: { code: string; message: string } | null },
  ) {
    this.sql.exec(
      `UPDATE jobs SET status = ?, charged = ?, error = ?, finished_at = ?, lease_id = NULL, lease_deadline = NULL,
         settled = 0, mirrored = 0 WHERE id = ?`,
      status,
      end.charged,
      end.error ? JSON.stringify(end.error) : null,
      Date.now(),
      id,
    );
    const job = this.get(id);
    this.events.append(
      id,
      status,
      status === 'failed' ? { error: job.error } : { credits: job.charged },
    );
  }
}
