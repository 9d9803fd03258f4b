import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { type ApiErrorData, apiErrorData } from '../errors.ts';
import { ACCOUNT_MIGRATIONS } from './account-schema.ts';
import { takeToken } from './rate-bucket.ts';
import { migrateSchema } from './schema-migrations.ts';

export interface AdmitRequest {
  jobId: string;
  jobKind: string;
  cost: number;
  idempotencyKey?: string;
  /** SHA-256 of the request body: the same key with another body is refused. */
  bodyHash: string;
  /** A browser token's id and job allowance: its jobs are counted here. */
  token?: { id: string; maxJobs: number };
  /** Counts the request against the key's rate limit first, in the same call. */
  rateLimitPerMinute?: number;
}

export type AdmitResult = ({ jobId: string; replayed: boolean; balance: number } | ApiErrorData) & {
  /** The rate-limit decision, when the request asked for one (nothing else is done if refused). */
  rate?: RateDecision;
};

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/**
 * One API key's account: its credit balance and ledger, its idempotency keys and its rate-limit
 * bucket. A Durable Object runs one call at a time and its SQLite writes are synchronous, so
 * "check the balance, then reserve" cannot interleave: 50 concurrent jobs with credits for 10
 * admit exactly 10.
 *
 * Ledger rows are keyed by (job, kind): reserve, settle and refund each happen at most once per
 * job however often they are retried.
 */
export class Account extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrateSchema(ctx, ACCOUNT_MIGRATIONS);
  }

  /** The running balance: kept beside the ledger in the same transaction, never re-summed. */
  balance(): number {
    return Number(this.ctx.storage.sql.exec('SELECT credits FROM balance').one().credits);
  }

  /**
   * Adds credits. A grant has its own id, so a retried grant is not counted twice; the same id
   * with another amount is a conflict, not a silent no-op.
   */
  grant(grantId: string, amount: number): { balance: number } | ApiErrorData {
    const earlier = this.ctx.storage.sql
      .exec("SELECT amount FROM ledger WHERE job_id = ? AND kind = 'grant'", grantId)
      .toArray()[0];
    if (earlier && Number(earlier.amount) !== amount)
      return apiErrorData(
        'grant_id_reused',
        `grant_id was already used for ${earlier.amount} credits; a grant of ${amount} needs another id.`,
        { param: 'grant_id' },
      );
    this.record(grantId, 'grant', amount, null);
    return { balance: this.balance() };
  }

  /** Rate limit, idempotency check and credit reservation for a new job, as one step. */
  admit(request: AdmitRequest): AdmitResult {
    if (request.rateLimitPerMinute === undefined) return this.admitCounted(request);
    const rate = this.hit(request.rateLimitPerMinute);
    if (!rate.allowed) return { ...apiErrorData('rate_limited', 'Rate limit reached.'), rate };
    return { ...this.admitCounted(request), rate };
  }

  private admitCounted(request: AdmitRequest): AdmitResult {
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM idempotency WHERE created_at < ?', Date.now() - IDEMPOTENCY_TTL_MS);
    if (request.idempotencyKey) {
      const seen = sql
        .exec('SELECT body_hash, job_id FROM idempotency WHERE key = ?', request.idempotencyKey)
        .toArray()[0];
      if (seen) {
        if (seen.body_hash !== request.bodyHash)
          return apiErrorData(
            'idempotency_key_reused',
            'This Idempotency-Key was used with a different request body.',
            { param: 'Idempotency-Key' },
          );
        return { jobId: String(seen.job_id), replayed: true, balance: this.balance() };
      }
    }
    if (request.token) {
      const used = Number(
        sql.exec('SELECT COUNT(*) AS n FROM token_jobs WHERE token_id = ?', request.token.id).one()
          .n,
      );
      if (used >= request.token.maxJobs)
        return apiErrorData(
          'unauthorized',
          `This token has made its ${request.token.maxJobs} jobs; mint a new one.`,
        );
    }
    const balance = this.balance();
    if (balance < request.cost)
      return apiErrorData(
        'insufficient_credits',
        `This job costs ${request.cost} credits; the balance is ${balance}.`,
        { cost: request.cost, balance },
      );
    this.record(request.jobId, 'reserve', -request.cost, request.jobKind);
    if (request.token)
      sql.exec(
        'INSERT INTO token_jobs (token_id, job_id, created_at) VALUES (?, ?, ?)',
        request.token.id,
        request.jobId,
        Date.now(),
      );
    if (request.idempotencyKey)
      sql.exec(
        'INSERT INTO idempotency (key, body_hash, job_id, created_at) VALUES (?, ?, ?, ?)',
        request.idempotencyKey,
        request.bodyHash,
        request.jobId,
        Date.now(),
      );
    return { jobId: request.jobId, replayed: false, balance: balance - request.cost };
  }

  /**
   * Ends a job's reservation: `used` credits stay charged (a settle row records them), the rest
   * comes back as a refund row. Safe to call again: the second call changes nothing.
   */
  settle(jobId: string, used: number): { charged: number; refunded: number } {
    const reserved = this.ctx.storage.sql
      .exec(
        "SELECT -amount AS r, job_kind FROM ledger WHERE job_id = ? AND kind = 'reserve'",
        jobId,
      )
      .toArray()[0];
    if (!reserved) return { charged: 0, refunded: 0 };
    const settled = this.ctx.storage.sql
      .exec("SELECT charged FROM ledger WHERE job_id = ? AND kind = 'settle'", jobId)
      .toArray()[0];
    if (settled)
      return {
        charged: Number(settled.charged),
        refunded: Number(reserved.r) - Number(settled.charged),
      };
    const charged = Math.min(Math.max(0, Math.ceil(used)), Number(reserved.r));
    const refunded = Number(reserved.r) - charged;
    this.record(jobId, 'settle', 0, String(reserved.job_kind), charged);
    if (refunded > 0) this.record(jobId, 'refund', refunded, String(reserved.job_kind));
    return { charged, refunded };
  }

  /**
   * Balance, credits held for jobs still running, and credits used by day and job kind. Usage is
   * what settled jobs were charged (by the day they ended); a job refunded in full (canceled
   * while queued, failed, never queued) is not a job used. Open reservations are `reserved`.
   */
  usage(days: number) {
    const since = Date.now() - days * 86400 * 1000;
    const sql = this.ctx.storage.sql;
    const rows = sql
      .exec(
        `SELECT date(created_at / 1000, 'unixepoch') AS day, job_kind AS kind, SUM(charged) AS credits,
           COUNT(*) AS jobs
         FROM ledger WHERE kind = 'settle' AND charged > 0 AND created_at >= ?
         GROUP BY day, job_kind ORDER BY day, job_kind`,
        since,
      )
      .toArray();
    const reserved = sql
      .exec(
        `SELECT COALESCE(-SUM(r.amount), 0) AS held FROM ledger r
         WHERE r.kind = 'reserve' AND NOT EXISTS (
           SELECT 1 FROM ledger s WHERE s.job_id = r.job_id AND s.kind = 'settle')`,
      )
      .one().held;
    return {
      balance: this.balance(),
      reserved: Number(reserved),
      usage: rows.map((r) => ({
        day: String(r.day),
        kind: String(r.kind),
        credits: Number(r.credits),
        jobs: Number(r.jobs),
      })),
    };
  }

  /**
   * One request against the key's token bucket (rate-bucket.ts). The object is the one counter
   * for its key, so the count is exact under any concurrency; it is stored, so an evicted object
   * keeps counting.
   */
  hit(limitPerMinute: number): RateDecision {
    const sql = this.ctx.storage.sql;
    const row = sql.exec('SELECT tokens, at, rate_limit FROM rate_bucket').toArray()[0];
    const decision = takeToken(
      row
        ? { tokens: Number(row.tokens), at: Number(row.at), limit: Number(row.rate_limit) }
        : null,
      limitPerMinute,
      Date.now(),
    );
    sql.exec('DELETE FROM rate_bucket');
    sql.exec(
      'INSERT INTO rate_bucket (tokens, at, rate_limit) VALUES (?, ?, ?)',
      decision.bucket.tokens,
      decision.bucket.at,
      decision.bucket.limit,
    );
    return {
      allowed: decision.allowed,
      limit: limitPerMinute,
      remaining: decision.remaining,
      resetSeconds: decision.resetSeconds,
    };
  }

  /** Undoes an admission whose job never reached the queue: refund, and free its idempotency key. */
  release(jobId: string) {
    this.settle(jobId, 0);
    this.ctx.storage.sql.exec('DELETE FROM idempotency WHERE job_id = ?', jobId);
  }

  private record(
    jobId: string,
    kind: string,
    amount: number,
    jobKind: string | null,
    charged?: number,
  ) {
    const sql = this.ctx.storage.sql;
    const added = sql
      .exec(
        `INSERT INTO ledger (job_id, kind, amount, charged, job_kind, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING amount`,
        jobId,
        kind,
        amount,
        charged ?? null,
        jobKind,
        Date.now(),
      )
      .toArray();
    if (added.length) sql.exec('UPDATE balance SET credits = credits + ?', amount);
  }
}
