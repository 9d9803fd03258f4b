import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { App, AppEnv } from '../app-env.ts';
import { allDispatchers, dispatcherOf } from '../env.ts';
import { ApiError, rethrowApiError } from '../errors.ts';
import { respondWithJob } from '../jobs/create-job.ts';
import { openEventStream } from '../jobs/event-stream.ts';
import { findJob, getLiveJobs } from '../jobs/find-job.ts';
import { JOB_STATUSES, type JobRecord, toPublicJob } from '../jobs/job-record.ts';
import { requireScope, scopeRequired } from '../middleware/auth/index.ts';
import { Id } from '../schemas/bounds.ts';
import { errorResponses } from '../schemas/common.ts';
import { JobListSchema, JobSchema } from '../schemas/job.ts';

const JobParams = z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) });

/**
 * The caller's job, or 404 (also for another key's job: its existence is not revealed).
 * `archived`: it ended over a day ago and is answered from its D1 record (see find-job.ts).
 */
async function ownJob(
  c: Context<AppEnv>,
  id: string,
): Promise<{ job: JobRecord; archived: boolean }> {
  const found = await findJob(c.env, id);
  if (!found || found.job.keyId !== c.get('apiKey').id)
    throw new ApiError('job_not_found', `No job ${id}.`);
  return found;
}

const getRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  tags: ['Jobs'],
  summary: 'Get a job',
  security: [{ bearer: [] }],
  request: { params: JobParams },
  responses: {
    200: {
      description: 'The job; Retry-After says when to poll again',
      content: { 'application/json': { schema: JobSchema } },
    },
    ...errorResponses(401, 403, 404, 429),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  tags: ['Jobs'],
  summary: 'List jobs, newest first',
  security: [{ bearer: [] }],
  middleware: [scopeRequired('read')] as const,
  request: {
    query: z.object({
      status: z.enum(JOB_STATUSES).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z
        .string()
        .max(256)
        .optional()
        .openapi({ description: 'next_cursor of the previous page' }),
    }),
  },
  responses: {
    200: {
      description: 'A page of jobs',
      content: { 'application/json': { schema: JobListSchema } },
    },
    ...errorResponses(400, 401, 403, 429),
  },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/cancel',
  tags: ['Jobs'],
  summary: 'Cancel a job',
  description:
    'A queued job is refunded in full; a running one is charged for the share it finished. 409 once a job has ended.',
  security: [{ bearer: [] }],
  request: { params: JobParams },
  responses: {
    200: {
      description: 'The canceled job',
      content: { 'application/json': { schema: JobSchema } },
    },
    ...errorResponses(401, 403, 404, 409, 429),
  },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/events',
  tags: ['Jobs'],
  summary: 'Stream a job’s events (Server-Sent Events)',
  description:
    'Events queued, started, progress (optionally with a preview: a small image, at most 16 KB, as a data: URL), output, succeeded, failed, canceled; each has an id, and Last-Event-ID resumes after it. The stream ends after the final event.',
  security: [{ bearer: [] }],
  request: { params: JobParams },
  responses: {
    200: {
      description: 'text/event-stream',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    ...errorResponses(401, 403, 404, 429),
  },
});

const encodeCursor = (seq: number) => btoa(`seq:${seq}`);
function decodeCursor(cursor: string): number {
  try {
    const match = atob(cursor).match(/^seq:(\d+)$/);
    if (match) return Number(match[1]);
  } catch {}
  throw new ApiError('invalid_request', 'cursor is not one this API gave out.', {
    param: 'cursor',
  });
}

export function registerJobRoutes(app: App) {
  app.openapi(getRoute, async (c) => {
    requireScope(c.get('apiKey'), 'read');
    return respondWithJob(c, (await ownJob(c, c.req.valid('param').id)).job);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid('query');
    const before = query.cursor ? decodeCursor(query.cursor) : Number.MAX_SAFE_INTEGER;
    // Jobs just made may not be in D1 yet: their rows are written in batches.
    await Promise.all(allDispatchers(c.env).map((shard) => shard.flushHistory()));
    const rows = await c.env.DB.prepare(
      `SELECT id, seq, record FROM jobs WHERE key_id = ? AND seq < ? ${query.status ? 'AND status = ?' : ''}
       ORDER BY seq DESC LIMIT ?`,
    )
      .bind(
        ...[c.get('apiKey').id, before, ...(query.status ? [query.status] : []), query.limit + 1],
      )
      .all<{ id: string; seq: number; record: string | null }>();
    const page = rows.results.slice(0, query.limit);
    // Ended jobs from their final D1 record; the others (and ended ones not yet written there)
    // live from the Dispatcher.
    const live = new Map(
      (
        await getLiveJobs(
          c.env,
          page.filter((r) => !r.record).map((r) => r.id),
        )
      ).map((job) => [job.id, job]),
    );
    const jobs = page
      .map((r) => (r.record ? (JSON.parse(r.record) as JobRecord) : live.get(r.id)))
      .filter((job): job is JobRecord => job !== undefined);
    const last = page.at(-1);
    return c.json({
      object: 'list' as const,
      data: await Promise.all(jobs.map((j) => toPublicJob(j, c.env.SIGNING_SECRET))),
      has_more: rows.results.length > query.limit,
      next_cursor: rows.results.length > query.limit && last ? encodeCursor(last.seq) : null,
    });
  });

  app.openapi(cancelRoute, async (c) => {
    const { job, archived } = await ownJob(c, c.req.valid('param').id);
    requireScope(c.get('apiKey'), job.kind === 'animate' ? 'videos' : 'images');
    if (archived) {
      // Long ended: answered as the Dispatcher answers an ended job.
      if (job.status === 'canceled') return respondWithJob(c, job);
      throw new ApiError('job_finished', `Job ${job.id} already ended (${job.status}).`, {
        status: job.status,
      });
    }
    return respondWithJob(c, rethrowApiError(await dispatcherOf(c.env, job.id).cancel(job.id)));
  });

  app.openapi(eventsRoute, async (c) => {
    requireScope(c.get('apiKey'), 'read');
    const { job, archived } = await ownJob(c, c.req.valid('param').id);
    // Its events were pruned with it: the stream of a long-ended job ends at once.
    if (archived)
      return openEventStream({ backlog: [], after: 0, ended: true, subscribe: () => () => {} });
    const headers: Record<string, string> = {};
    const lastEventId = c.req.header('Last-Event-ID');
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    const after = c.req.query('after');
    const stream = await dispatcherOf(c.env, job.id).fetch(
      new Request(
        `https://dispatcher/events?job=${encodeURIComponent(job.id)}${after ? `&after=${encodeURIComponent(after)}` : ''}`,
        { headers },
      ),
    );
    // A fresh Response: middleware adds headers, and a fetched response's are immutable.
    return new Response(stream.body, { status: stream.status, headers: stream.headers });
  });
}
