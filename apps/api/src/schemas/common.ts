import { z } from '@hono/zod-openapi';
import { JOB_EVENT_TYPES } from '../jobs/job-record.ts';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      message: z.string(),
      request_id: z.string(),
      param: z.string().optional(),
      issues: z.array(z.object({ param: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } },
    ]),
  );

/** Seconds a job may wait for a runner before it fails (queue_timeout) and is refunded. */
export const DEFAULT_QUEUE_TIMEOUT_SECONDS = 3600;

export const QueueTimeout = z
  .int()
  .min(10)
  .max(86400)
  .default(DEFAULT_QUEUE_TIMEOUT_SECONDS)
  .openapi({
    description:
      'How long the job may wait for a runner (seconds). If none takes it in time, for example because no runner serves its model, it fails with error code queue_timeout and its credits are refunded. A job put back in the queue (its runner was lost) gets the same time again.',
  });

export const WebhookSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .openapi({
        example: 'https://example.com/hooks/sdedge',
        description:
          'A public http(s) URL: loopback, private, link-local and metadata addresses are refused (400 unsafe_webhook_url), when the job is made and again at each delivery. Redirects are not followed.',
      }),
    events: z
      .array(z.enum(JOB_EVENT_TYPES).exclude(['progress']))
      .min(1)
      .default(['succeeded', 'failed', 'canceled'])
      .openapi({ description: 'Which job events to deliver (progress is not delivered).' }),
  })
  .openapi('Webhook');

/** A required JSON request body with this schema (route definitions). */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
});
