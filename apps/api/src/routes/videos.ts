import { createRoute } from '@hono/zod-openapi';
import type { App } from '../app-env.ts';
import { planAnimation } from '../jobs/animation-plan.ts';
import { createJob } from '../jobs/create-job.ts';
import type { Json } from '../jobs/job-record.ts';
import { resolveModelSize } from '../jobs/resolve-model-size.ts';
import { scopeRequired } from '../middleware/auth/index.ts';
import { errorResponses } from '../schemas/common.ts';
import { JobSchema } from '../schemas/job.ts';
import { AnimateRequest } from '../schemas/video-jobs.ts';

const animateRoute = createRoute({
  method: 'post',
  path: '/v1/videos/animate',
  tags: ['Videos'],
  summary: 'Queue a Deforum-style animation',
  description:
    'Deforum settings JSON in, an MP4 (or GIF) out. Same queueing, Prefer and Idempotency-Key rules as images.',
  security: [{ bearer: [] }],
  middleware: [scopeRequired('videos')] as const,
  request: {
    body: { content: { 'application/json': { schema: AnimateRequest } }, required: true },
  },
  responses: {
    200: {
      description: 'The job ended within the Prefer: wait time',
      content: { 'application/json': { schema: JobSchema } },
    },
    202: { description: 'The job, queued', content: { 'application/json': { schema: JobSchema } } },
    ...errorResponses(400, 401, 402, 403, 413, 422, 429),
  },
});

export function registerVideoRoutes(app: App) {
  app.openapi(animateRoute, async (c) => {
    const request = c.req.valid('json');
    const { width, height } = resolveModelSize('animate', {
      model: request.model,
      width: request.settings.W,
      height: request.settings.H,
    });
    const requested = { ...request.settings, W: width, H: height };
    const plan = planAnimation(requested);
    return await createJob(c, {
      kind: 'animate',
      model: request.model,
      input: { settings: plan.settings as Record<string, Json> },
      images: [],
      cost: plan.cost,
      fingerprint: requested as Record<string, Json>,
      webhook: request.webhook ?? null,
      queueTimeoutSeconds: request.queue_timeout_seconds,
    });
  });
}
