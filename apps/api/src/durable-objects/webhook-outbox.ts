import { newId } from '../hashing.ts';
import { type JobRecord, toPublicJob } from '../jobs/job-record.ts';
import { webhookHeaders, webhookSecretFor } from '../jobs/webhook-signing.ts';
import {
  unsafeAddressReason,
  unsafeWebhookReason,
  type WebhookUrlPolicy,
} from '../jobs/webhook-url.ts';

/** Webhook retries: seconds after each failed attempt (then the delivery is given up). */
export const WEBHOOK_BACKOFF_SECONDS = [5, 30, 120, 600, 1800, 3600];

/** One receiver (a host) gets at most this many deliveries at a time; the rest wait their turn. */
export const WEBHOOK_PER_HOST = 2;
/** Deliveries in flight across every receiver. */
export const WEBHOOK_IN_FLIGHT = 32;
/** A receiver must answer within this; a slow one costs its own queue, nobody else's. */
export const WEBHOOK_TIMEOUT_MS = 5000;

/**
 * The Dispatcher's webhook deliveries, in its own SQLite (the `deliveries` table): one row per
 * job event a webhook asked for, retried with backoff under one webhook-id.
 *
 * Sending is off the dispatch path: `startDue` claims what is due and starts the POSTs without
 * waiting for them, at most WEBHOOK_PER_HOST per receiver and WEBHOOK_IN_FLIGHT in all, each
 * cut off after WEBHOOK_TIMEOUT_MS; a finished send records itself and starts the next. So one
 * tenant's slow receiver delays only its own deliveries.
 */
export class WebhookOutbox {
  private inFlight = new Map<string, number>();
  private sending = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly signingSecret: string,
    private readonly policy: WebhookUrlPolicy,
    /** Keeps the object alive while a send runs (DurableObjectState.waitUntil). */
    private readonly keepAlive: (work: Promise<unknown>) => void,
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

  /** Starts every due delivery the limits allow; `jobById` gives the job as it is now. */
  startDue(jobById: (id: string) => JobRecord, onSettled: () => void) {
    const free = WEBHOOK_IN_FLIGHT - this.sending;
    if (free <= 0) return;
    const due = this.sql
      .exec(
        "SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?",
        Date.now(),
        free * 4,
      )
      .toArray();
    for (const delivery of due) {
      if (this.sending >= WEBHOOK_IN_FLIGHT) break;
      const id = String(delivery.id);
      const job = jobById(String(delivery.job_id));
      const host = hostOf(job.webhook?.url ?? '');
      const busy = this.inFlight.get(host) ?? 0;
      if (busy >= WEBHOOK_PER_HOST) {
        // Due again after one timeout, by when one of this host's sends has ended or been cut off.
        this.sql.exec(
          'UPDATE deliveries SET next_at = ? WHERE id = ?',
          Date.now() + WEBHOOK_TIMEOUT_MS,
          id,
        );
        continue;
      }
      // Claimed for a minute: if the object dies mid-send the delivery is due again after it.
      this.sql.exec('UPDATE deliveries SET next_at = ? WHERE id = ?', Date.now() + 60000, id);
      this.inFlight.set(host, busy + 1);
      this.sending++;
      const send = this.send(id, job, Number(delivery.event_seq))
        .catch((error): SendResult => ({ error: String(error), final: false }))
        .then((result) => {
          this.record(id, Number(delivery.attempt) + 1, result);
          this.inFlight.set(host, (this.inFlight.get(host) ?? 1) - 1);
          this.sending--;
          onSettled();
        });
      this.keepAlive(send);
    }
  }

  /** POSTs one event; the error (null when the receiver answered 2xx), and whether it is final. */
  private async send(id: string, job: JobRecord, eventSeq: number): Promise<SendResult> {
    const event = this.sql
      .exec('SELECT type, at FROM events WHERE job_id = ? AND seq = ?', job.id, eventSeq)
      .one();
    const body = JSON.stringify({
      type: `job.${event.type}`,
      timestamp: new Date(Number(event.at)).toISOString(),
      data: await toPublicJob(job, this.signingSecret),
    });
    const secret = await webhookSecretFor(this.signingSecret, job.keyId);
    const url = job.webhook?.url ?? '';
    // Checked again now: the rules may have changed since the job was made, and a name may
    // resolve somewhere else than it did (DNS rebinding).
    const unsafe =
      unsafeWebhookReason(url, this.policy) ??
      (await unsafeResolution(new URL(url).hostname, this.policy));
    // Refused for good: a retry would be refused the same way.
    if (unsafe) return { error: `refused: the webhook URL ${unsafe}`, final: true };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: await webhookHeaders(secret, id, Math.floor(Date.now() / 1000), body),
        body,
        // A redirect could lead anywhere, past the checks above: it counts as a failure.
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await res.body?.cancel();
      const redirect = res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : '';
      return { error: res.ok ? null : `HTTP ${res.status}${redirect}`, final: false };
    } catch (e) {
      return { error: String(e), final: false };
    }
  }

  private record(id: string, attempt: number, { error, final }: SendResult) {
    if (!error)
      this.sql.exec(
        "UPDATE deliveries SET status = 'delivered', attempt = ? WHERE id = ?",
        attempt,
        id,
      );
    else if (final || attempt > WEBHOOK_BACKOFF_SECONDS.length)
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

interface SendResult {
  error: string | null;
  /** No retry: the delivery is failed at once. */
  final: boolean;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** Why `host`'s DNS answers make it unsafe, or null (also when no resolver is configured). */
async function unsafeResolution(host: string, policy: WebhookUrlPolicy): Promise<string | null> {
  if (!policy.dnsResolver || host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host)) return null;
  for (const type of ['A', 'AAAA']) {
    const url = `${policy.dnsResolver}?name=${encodeURIComponent(host)}&type=${type}`;
    const res = await fetch(url, {
      headers: { accept: 'application/dns-json' },
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`DNS lookup of ${host} failed: HTTP ${res.status}`);
    const answer = (await res.json()) as { Answer?: { type: number; data: string }[] };
    for (const record of answer.Answer ?? []) {
      if (record.type !== 1 && record.type !== 28) continue; // A and AAAA; CNAMEs are followed
      const reason = unsafeAddressReason(record.data, policy);
      if (reason) return `resolves to ${record.data}, which ${reason}`;
    }
  }
  return null;
}
