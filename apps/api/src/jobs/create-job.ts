import type { Context } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { newJobId } from '../dispatch-shards.ts';
import { accountOf, dispatcherOf } from '../env.ts';
import { ApiError, rethrowApiError } from '../errors.ts';
import { sha256Hex } from '../hashing.ts';
import { countedRequest } from '../middleware/rate-limit/index.ts';
import { findJob } from './find-job.ts';

type Admitted = { jobId: string; replayed: boolean; balance: number };

import {
  isTerminal,
  type JobKind,
  type JobRecord,
  type Json,
  toPublicJob,
  type WebhookTarget,
} from './job-record.ts';
import { unsafeWebhookReason, webhookUrlPolicy } from './webhook-url.ts';

export interface JobDraft {
  kind: JobKind;
  model: string;
  input: Record<string, Json>;
  images: { name: string; bytes: Uint8Array; contentType: string }[];
  cost: number;
  webhook: WebhookTarget | null;
  queueTimeoutSeconds: number;
  /** The request as normalised before anything random was drawn (an animation's seed), when
   * `input` holds such a draw: what an Idempotency-Key is compared by. */
  fingerprint?: Json;
}

/** `Prefer: wait=N` (Replicate's convention): hold the answer up to N seconds, N <= 60. */
export function preferredWaitSeconds(header: string | undefined): number {
  if (!header) return 0;
  const match = header.match(/(?:^|[;,\s])wait(?:=(\d+))?(?:$|[;,\s])/);
  if (!match) return 0;
  const seconds = match[1] === undefined ? 60 : Number(match[1]);
  if (seconds > 60)
    throw new ApiError('invalid_request', 'Prefer: wait=N takes at most 60 seconds.', {
      param: 'Prefer',
    });
  return seconds;
}

export function idempotencyKeyOf(c: Context<AppEnv>): string | undefined {
  const key = c.req.header('Idempotency-Key');
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key))
    throw new ApiError(
      'invalid_request',
      'Idempotency-Key must be 1-255 visible ASCII characters.',
      {
        param: 'Idempotency-Key',
      },
    );
  return key;
}

/**
 * The one path from a validated request to a queued job: idempotency and credits in the key's
 * Account (one step), input images to R2, then the Dispatcher's queue. A failure after the
 * reservation refunds it.
 */
export async function createJob(c: Context<AppEnv>, draft: JobDraft) {
  const waitSeconds = preferredWaitSeconds(c.req.header('Prefer'));
  let job = await submitJob(c, draft);
  if (waitSeconds > 0 && !isTerminal(job.status)) {
    job = (await dispatcherOf(c.env, job.id).waitForEnd(job.id, waitSeconds * 1000)) ?? job;
    c.header('Preference-Applied', `wait=${waitSeconds}`);
  }
  return respondWithJob(c, job, isTerminal(job.status) ? 200 : 202);
}

/** Admits and queues a job (or finds the one an Idempotency-Key already made). */
export async function submitJob(c: Context<AppEnv>, draft: JobDraft): Promise<JobRecord> {
  if (draft.webhook) {
    const unsafe = unsafeWebhookReason(draft.webhook.url, webhookUrlPolicy(c.env));
    if (unsafe)
      throw new ApiError('unsafe_webhook_url', `webhook.url ${unsafe}; give a public URL.`, {
        param: 'webhook.url',
      });
  }
  const key = c.get('apiKey');
  const idempotencyKey = idempotencyKeyOf(c);
  const imageHashes = await Promise.all(draft.images.map((i) => sha256Hex(i.bytes)));
  // The whole normalised request: the same key with another model, input, image or webhook is
  // another request (422), never a replay of the first job.
  const bodyHash = await sha256Hex(
    JSON.stringify([
      draft.kind,
      draft.model,
      draft.fingerprint ?? draft.input,
      imageHashes,
      draft.webhook,
      draft.queueTimeoutSeconds,
    ]),
  );
  const account = accountOf(c.env, key.id);
  // One Account call: the rate limit (see countedByHandler in app.ts), idempotency, credits.
  const admission = await account.admit({
    jobId: newJobId(c.env),
    jobKind: draft.kind,
    cost: draft.cost,
    idempotencyKey,
    bodyHash,
    rateLimitPerMinute: key.rateLimitPerMinute,
    ...(key.token ? { token: key.token } : {}),
  });
  if (admission.rate) countedRequest(c, admission.rate);
  const admitted = rethrowApiError<Admitted>(admission);
  const dispatcher = dispatcherOf(c.env, admitted.jobId);
  let job: JobRecord | null;
  if (admitted.replayed) {
    job = (await findJob(c.env, admitted.jobId))?.job ?? null;
    // The first request may still be between its reservation and the queue.
    for (let i = 0; !job && i < 20; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = await dispatcher.getJob(admitted.jobId);
    }
    if (!job)
      throw new ApiError(
        'internal_error',
        'The original request of this Idempotency-Key did not finish.',
      );
    c.header('Idempotent-Replayed', 'true');
  } else {
    try {
      for (const image of draft.images)
        await c.env.BLOBS.put(`inputs/${admitted.jobId}/${image.name}`, image.bytes, {
          httpMetadata: { contentType: image.contentType },
        });
      job = rethrowApiError(
        await dispatcher.enqueue({
          id: admitted.jobId,
          keyId: key.id,
          kind: draft.kind,
          model: draft.model,
          input: draft.input,
          inputImages: draft.images.map((i) => i.name),
          cost: draft.cost,
          webhook: draft.webhook,
          queueTimeoutSeconds: draft.queueTimeoutSeconds,
          baseUrl: new URL(c.req.url).origin,
        }),
      );
    } catch (error) {
      await account.release(admitted.jobId);
      throw error;
    }
  }
  return job;
}

export async function respondWithJob<S extends 200 | 202 = 200>(
  c: Context<AppEnv>,
  job: JobRecord,
  status: S = 200 as S,
) {
  const body = await toPublicJob(job, c.env.SIGNING_SECRET);
  if (body.poll_after_seconds !== null) c.header('Retry-After', String(body.poll_after_seconds));
  if (status === 202) c.header('Location', body.urls.get);
  return c.json(body, status);
}
