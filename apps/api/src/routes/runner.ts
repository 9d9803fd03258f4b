import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { App, AppEnv } from '../app-env.ts';
import type { Lease } from '../durable-objects/dispatcher.ts';
import { dispatcherOf } from '../env.ts';
import { ApiError, rethrowApiError } from '../errors.ts';
import { JOB_KINDS, toPublicJob } from '../jobs/job-record.ts';
import { leaseAcrossShards } from '../jobs/lease-across-shards.ts';
import { isOutputContentType, OUTPUT_CONTENT_TYPES } from '../jobs/output-content-types.ts';
import { uploadKey } from '../jobs/output-keys.ts';
import { FileName, Id, ModelName } from '../schemas/bounds.ts';
import { errorResponses, jsonBody } from '../schemas/common.ts';
import { JobSchema } from '../schemas/job.ts';

const runner = { tags: ['Runner'], security: [{ runner: [] }] };
const JobParams = z.object({ id: Id });
const LeaseBody = z.object({ lease_id: Id });
/** A preview of at most 16 KiB, base64 in a data: URL (what a browser's <img> shows as is). */
const MAX_PREVIEW_CHARS = 'data:image/jpeg;base64,'.length + Math.ceil((16 * 1024) / 3) * 4;
const PREVIEW_DATA_URL = /^data:image\/(jpeg|png|webp);base64,[A-Za-z0-9+/]*={0,2}$/;
/** Largest output a runner may upload (a 1000-frame MP4 fits). */
export const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

const LeaseSchema = z
  .object({
    lease_id: z.string(),
    lease_deadline: z.string(),
    job: z.object({
      id: z.string(),
      kind: z.enum(JOB_KINDS),
      model: z.string(),
      attempt: z.int(),
      input: z.record(z.string(), z.unknown()),
      input_images: z.array(z.object({ name: z.string(), url: z.string() })),
    }),
  })
  .openapi('Lease');

const leaseRoute = createRoute({
  ...runner,
  method: 'post',
  path: '/runner/v1/lease',
  summary: 'Lease work (long poll)',
  description:
    'Answers at once when an eligible job is queued, else waits up to wait_seconds; an empty list means none came.',
  request: {
    body: jsonBody(
      z.object({
        runner_id: z.string().min(1).max(100),
        models: z.array(ModelName).min(1).max(64),
        capacity: z.int().min(1).max(8).default(1),
        wait_seconds: z.number().min(0).max(30).default(20),
        lease_seconds: z.int().min(1).max(600).default(60),
      }),
    ),
  },
  responses: {
    200: {
      description: 'Leases (maybe none)',
      content: { 'application/json': { schema: z.object({ leases: z.array(LeaseSchema) }) } },
    },
    ...errorResponses(400, 401),
  },
});

const heartbeatRoute = createRoute({
  ...runner,
  method: 'post',
  path: '/runner/v1/jobs/{id}/heartbeat',
  summary: 'Extend a lease; says whether the job was canceled',
  request: { params: JobParams, body: jsonBody(LeaseBody) },
  responses: {
    200: {
      description: 'Whether the job was canceled, and the new deadline',
      content: {
        'application/json': {
          schema: z.object({ canceled: z.boolean(), lease_deadline: z.string().nullable() }),
        },
      },
    },
    ...errorResponses(400, 401, 404, 409),
  },
});

const eventsRoute = createRoute({
  ...runner,
  method: 'post',
  path: '/runner/v1/jobs/{id}/events',
  summary: 'Report progress, in batches',
  request: {
    params: JobParams,
    body: jsonBody(
      LeaseBody.extend({
        events: z
          .array(
            z.object({
              type: z.literal('progress'),
              step: z.int().min(0),
              total_steps: z.int().min(1),
              frame: z.int().min(0).optional(),
              frames: z.int().min(1).optional(),
              preview: z
                .string()
                .max(MAX_PREVIEW_CHARS)
                .regex(PREVIEW_DATA_URL, 'a data: URL of a JPEG, PNG or WebP image')
                .optional()
                .openapi({ description: 'A small image (at most 16 KB) as a data: URL' }),
            }),
          )
          .min(1)
          .max(100),
      }),
    ),
  },
  responses: {
    200: {
      description: 'Whether the job was canceled',
      content: { 'application/json': { schema: z.object({ canceled: z.boolean() }) } },
    },
    ...errorResponses(400, 401, 404, 409),
  },
});

const uploadRoute = createRoute({
  ...runner,
  method: 'put',
  path: '/runner/v1/jobs/{id}/outputs/{name}',
  summary: 'Upload an output to R2 (the body is the bytes)',
  request: { params: z.object({ id: Id, name: FileName }), query: LeaseBody },
  responses: {
    201: {
      description: 'Stored',
      content: { 'application/json': { schema: z.object({ name: z.string(), size: z.int() }) } },
    },
    ...errorResponses(400, 401, 404, 409, 413),
  },
});

const inputRoute = createRoute({
  ...runner,
  method: 'get',
  path: '/runner/v1/jobs/{id}/inputs/{name}',
  summary: 'Download an input image of a leased job',
  request: { params: z.object({ id: Id, name: FileName }), query: LeaseBody },
  responses: { 200: { description: 'The bytes' }, ...errorResponses(401, 404, 409) },
});

const completeRoute = createRoute({
  ...runner,
  method: 'post',
  path: '/runner/v1/jobs/{id}/complete',
  summary: 'Finish a job with its uploaded outputs',
  request: {
    params: JobParams,
    body: jsonBody(
      LeaseBody.extend({
        runner_seconds: z.number().min(0),
        outputs: z
          .array(
            z.object({
              name: FileName,
              seed: z.int().min(0),
              width: z.int().min(1),
              height: z.int().min(1),
              content_type: z.enum(OUTPUT_CONTENT_TYPES),
            }),
          )
          .min(1)
          .max(16),
      }),
    ),
  },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: JobSchema } } },
    ...errorResponses(400, 401, 404, 409),
  },
});

const failRoute = createRoute({
  ...runner,
  method: 'post',
  path: '/runner/v1/jobs/{id}/fail',
  summary: 'Fail a job (retryable failures go back to the queue, up to 3 attempts)',
  request: {
    params: JobParams,
    body: jsonBody(
      LeaseBody.extend({
        code: z.string().min(1).max(100),
        message: z.string().max(2000),
        retryable: z.boolean().default(false),
        runner_seconds: z.number().min(0).optional(),
      }),
    ),
  },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: JobSchema } } },
    ...errorResponses(400, 401, 404, 409),
  },
});

const releaseRoute = createRoute({
  ...runner,
  method: 'post',
  path: '/runner/v1/jobs/{id}/release',
  summary: 'Hand a lease back unworked (the job is queued again; the attempt does not count)',
  request: { params: JobParams, body: jsonBody(LeaseBody) },
  responses: {
    200: { description: 'The job', content: { 'application/json': { schema: JobSchema } } },
    ...errorResponses(400, 401, 404, 409),
  },
});

function leaseView(c: Context<AppEnv>, lease: Lease) {
  const origin = new URL(c.req.url).origin;
  const { job } = lease;
  return {
    lease_id: lease.leaseId,
    lease_deadline: new Date(lease.leaseDeadline).toISOString(),
    job: {
      id: job.id,
      kind: job.kind,
      model: job.model,
      attempt: job.attempts,
      input: job.input,
      input_images: job.inputImages.map((name) => ({
        name,
        url: `${origin}/runner/v1/jobs/${job.id}/inputs/${name}?lease_id=${lease.leaseId}`,
      })),
    },
  };
}

export function registerRunnerRoutes(app: App) {
  const dispatcher = (c: Context<AppEnv>) => dispatcherOf(c.env, c.req.param('id') ?? '');

  app.openapi(leaseRoute, async (c) => {
    const body = c.req.valid('json');
    const leases = await leaseAcrossShards(c.env, {
      runnerId: body.runner_id,
      models: body.models,
      capacity: body.capacity,
      waitSeconds: body.wait_seconds,
      leaseSeconds: body.lease_seconds,
    });
    return c.json({ leases: leases.map((l) => leaseView(c, l)) });
  });

  app.openapi(heartbeatRoute, async (c) => {
    const result = rethrowApiError(
      await dispatcher(c).heartbeat(c.req.valid('param').id, c.req.valid('json').lease_id),
    );
    return c.json({
      canceled: result.canceled,
      lease_deadline: result.canceled ? null : new Date(result.leaseDeadline).toISOString(),
    });
  });

  app.openapi(eventsRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(
      rethrowApiError(
        await dispatcher(c).reportEvents(c.req.valid('param').id, body.lease_id, body.events),
      ),
    );
  });

  app.openapi(uploadRoute, async (c) => {
    const id = c.req.valid('param').id;
    const name = c.req.valid('param').name;
    const contentType = (c.req.header('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (!isOutputContentType(contentType))
      throw new ApiError(
        'unsupported_media_type',
        `Outputs are ${OUTPUT_CONTENT_TYPES.join(', ')}; not "${contentType}".`,
        { param: 'content-type' },
      );
    rethrowApiError(await dispatcher(c).checkLease(id, c.req.valid('query').lease_id));
    const leaseId = c.req.valid('query').lease_id;
    const bytes = await c.req.arrayBuffer(); // bounded by the /runner/* body limit (app.ts)
    await c.env.BLOBS.put(uploadKey(id, leaseId, name), bytes, {
      httpMetadata: { contentType },
    });
    return c.json({ name, size: bytes.byteLength }, 201);
  });

  app.openapi(inputRoute, async (c) => {
    const id = c.req.valid('param').id;
    rethrowApiError(await dispatcher(c).checkLease(id, c.req.valid('query').lease_id));
    const object = await c.env.BLOBS.get(`inputs/${id}/${c.req.valid('param').name}`);
    if (!object) throw new ApiError('not_found', 'No such input.');
    return new Response(object.body, {
      headers: { 'content-type': object.httpMetadata?.contentType ?? 'application/octet-stream' },
    });
  });

  app.openapi(completeRoute, async (c) => {
    const id = c.req.valid('param').id;
    const body = c.req.valid('json');
    for (const output of body.outputs)
      if (!(await c.env.BLOBS.head(uploadKey(id, body.lease_id, output.name))))
        throw new ApiError(
          'invalid_request',
          `Output ${output.name} was not uploaded under this lease.`,
          {
            param: 'outputs',
          },
        );
    const job = rethrowApiError(
      await dispatcher(c).complete(id, body.lease_id, {
        outputs: body.outputs,
        runnerSeconds: body.runner_seconds,
      }),
    );
    return c.json(await toPublicJob(job, c.env.SIGNING_SECRET));
  });

  app.openapi(releaseRoute, async (c) => {
    const job = rethrowApiError(
      await dispatcher(c).release(c.req.valid('param').id, c.req.valid('json').lease_id),
    );
    return c.json(await toPublicJob(job, c.env.SIGNING_SECRET));
  });

  app.openapi(failRoute, async (c) => {
    const body = c.req.valid('json');
    const job = rethrowApiError(
      await dispatcher(c).fail(c.req.valid('param').id, body.lease_id, {
        code: body.code,
        message: body.message,
        retryable: body.retryable,
        runnerSeconds: body.runner_seconds,
      }),
    );
    return c.json(await toPublicJob(job, c.env.SIGNING_SECRET));
  });
}
