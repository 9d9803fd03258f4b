import { newId } from '../hashing.ts';
import { type JobRecord, toPublicJob } from '../jobs/job-record.ts';
import { webhookHeaders, webhookSecretFor } from '../jobs/webhook-signing.ts';

/** Webhook retries: seconds after each failed attempt (then the delivery is given up). */
export const WEBHOOK_BACKOFF_SECONDS = [5, 30, 120, 600, 1800, 3600];

/**
 * The Dispatcher's webhook deliveries, in its own SQLite (the `deliveries` table): one row per
 * job event a webhook asked for, sent by the alarm, retried with backoff under one webhook-id.
 */
export class WebhookOutbox {
  constructor(
    private readonly sql: SqlStorage,
    private readonly signingSecret: string,
  ) {}

  enqueue(jobId: string, eventSeq: number) {
    this.sql.exec(
      "INSERT INTO deliveries (id, job_id, event_seq, attempt, next_at, status) VALUES (?, ?, ?, 0, ?, 'pending')",
      newId('msg'),
      jobId,
      eventSeq,
      Date.now(),
    );
  }

  nextDueAt(): number | null {
    const t = this.sql
      .exec("SELECT MIN(next_at) AS t FROM deliveries WHERE status = 'pending'")
      .one().t;
    return t === null ? null : Number(t);
  }

  /** Sends every delivery that is due; `jobById` gives the job as it is now. */
  async deliverDue(jobById: (id: string) => JobRecord) {
    const due = this.sql
      .exec("SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= ?", Date.now())
      .toArray();
    for (const delivery of due) {
      const id = String(delivery.id);
      // Claim it for a minute first: the send awaits, and nothing else may send it meanwhile;
      // if the object dies mid-send, the delivery is due again after the minute.
      this.sql.exec('UPDATE deliveries SET next_at = ? WHERE id = ?', Date.now() + 60000, id);
      const job = jobById(String(delivery.job_id));
      const error = await this.send(id, job, Number(delivery.event_seq));
      this.record(id, Number(delivery.attempt) + 1, error);
    }
  }

  prune(finishedBefore: number) {
    this.sql.exec(
      "DELETE FROM deliveries WHERE status != 'pending' AND next_at < ?",
      finishedBefore,
    );
  }

  /** POSTs one event; the error, or null when the receiver answered 2xx. */
  private async send(id: string, job: JobRecord, eventSeq: number): Promise<string | null> {
    const event = this.sql
      .exec('SELECT type, at FROM events WHERE job_id = ? AND seq = ?', job.id, eventSeq)
      .one();
    const body = JSON.stringify({
      type: `job.${event.type}`,
      timestamp: new Date(Number(event.at)).toISOString(),
      data: await toPublicJob(job, this.signingSecret),
    });
    const secret = await webhookSecretFor(this.signingSecret, job.keyId);
    try {
      const res = await fetch(job.webhook?.url ?? '', {
        method: 'POST',
        headers: await webhookHeaders(secret, id, Math.floor(Date.now() / 1000), body),
        body,
        signal: AbortSignal.timeout(10000),
      });
      await res.body?.cancel();
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (e) {
      return String(e);
    }
  }

  private record(id: string, attempt: number, error: string | null) {
    if (!error)
      this.sql.exec(
        "UPDATE deliveries SET status = 'delivered', attempt = ? WHERE id = ?",
        attempt,
        id,
      );
    else if (attempt > WEBHOOK_BACKOFF_SECONDS.length)
      this.sql.exec(
        "UPDATE deliveries SET status = 'failed', attempt = ?, last_error = ? WHERE id = ?",
        attempt,
        error,
        id,
      );
    else
      this.sql.exec(
        'UPDATE deliveries SET attempt = ?, next_at = ?, last_error = ? WHERE id = ?',
        attempt,
        Date.now() + (WEBHOOK_BACKOFF_SECONDS[attempt - 1] ?? 3600) * 1000,
        error,
        id,
      );
  }
}
