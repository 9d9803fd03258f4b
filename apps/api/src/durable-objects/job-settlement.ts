import { accountOf, type Env } from '../env.ts';
import { historyStatement, mirrorToHistory } from '../jobs/job-history.ts';
import { isTerminal, type JobRecord } from '../jobs/job-record.ts';
import { BATCH, Q } from './dispatcher-queries.ts';

/** New jobs' D1 history rows are written this long after creation, together. */
const HISTORY_FLUSH_MS = 50;

/**
 * What a job's state change owes the world outside the Dispatcher: settling its credits in the
 * key's Account once it has ended, and its D1 history row (with the whole final record once it
 * has ended). Each is flagged in the row (`settled`, `mirrored`) until done, so the alarm
 * retries what failed and nothing is lost or done twice.
 */
export class JobSettlement {
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly jobById: (id: string) => JobRecord,
  ) {}

  async settle(id: string): Promise<void> {
    const job = this.jobById(id);
    const row = this.sql.exec('SELECT settled, mirrored FROM jobs WHERE id = ?', id).one();
    try {
      if (isTerminal(job.status) && Number(row.settled) === 0) {
        await accountOf(this.env, job.keyId).settle(id, job.charged ?? 0);
        this.sql.exec('UPDATE jobs SET settled = 1 WHERE id = ?', id);
      }
      if (Number(row.mirrored) === 0) {
        await mirrorToHistory(this.env.DB, job);
        this.markMirrored(job);
      }
    } catch (error) {
      console.error(`side effects of ${id} failed, the alarm retries them`, error);
    }
  }

  /** Writes the history rows not yet written, in one D1 batch. */
  async flushHistory(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const jobs = this.sql
      .exec(Q.unmirrored, BATCH)
      .toArray()
      .map((row) => this.jobById(String(row.id)));
    if (jobs.length === 0) return;
    try {
      await this.env.DB.batch(jobs.map((job) => historyStatement(this.env.DB, job)));
      for (const job of jobs) this.markMirrored(job);
    } catch (error) {
      console.error('writing job history failed, the alarm retries it', error);
    }
  }

  /** A flush HISTORY_FLUSH_MS from now (job creation's rows, off its request path). */
  flushSoon() {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushHistory();
    }, HISTORY_FLUSH_MS);
  }

  /** Only if nothing changed meanwhile: a newer status must be written again. */
  private markMirrored(job: JobRecord) {
    this.sql.exec('UPDATE jobs SET mirrored = 1 WHERE id = ? AND status = ?', job.id, job.status);
  }
}
