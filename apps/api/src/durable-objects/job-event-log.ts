import type { StoredEvent } from '../jobs/event-stream.ts';
import type { JobEventType, JobRecord } from '../jobs/job-record.ts';
import { Q } from './dispatcher-queries.ts';
import type { WebhookOutbox } from './webhook-outbox.ts';

export type Watcher = (event: StoredEvent, job: JobRecord) => void;

/**
 * A Dispatcher's job events (the `events` table): numbered per job, read back for Last-Event-ID
 * resumes, told to live watchers (event streams, Prefer: wait), and queued as webhook
 * deliveries where the job asked for them.
 */
export class JobEventLog {
  private watchers = new Map<string, Set<Watcher>>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly outbox: WebhookOutbox,
    private readonly jobById: (id: string) => JobRecord,
  ) {}

  append(jobId: string, type: JobEventType, data: unknown): StoredEvent {
    const seq = Number(this.sql.exec(Q.nextEventSeq, jobId).one().s);
    this.sql.exec(
      'INSERT INTO events (job_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)',
      jobId,
      seq,
      type,
      JSON.stringify(data),
      Date.now(),
    );
    const job = this.jobById(jobId);
    if (job.webhook?.events.includes(type) && type !== 'progress') this.outbox.enqueue(jobId, seq);
    const event = { seq, type, data };
    for (const watcher of [...(this.watchers.get(jobId) ?? [])]) watcher(event, job);
    return event;
  }

  /** Stored events of `jobId` after `after`, oldest first. */
  after(jobId: string, after: number): StoredEvent[] {
    return this.sql
      .exec(Q.eventsAfter, jobId, after)
      .toArray()
      .map((r) => ({ seq: Number(r.seq), type: String(r.type), data: JSON.parse(String(r.data)) }));
  }

  /** Hears every event of `jobId` from now on; returns the unsubscribe. */
  watch(jobId: string, watcher: Watcher): () => void {
    const set = this.watchers.get(jobId) ?? new Set<Watcher>();
    this.watchers.set(jobId, set);
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0) this.watchers.delete(jobId);
    };
  }
}
