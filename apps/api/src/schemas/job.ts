import { z } from '@hono/zod-openapi';
import { JOB_KINDS, JOB_STATUSES } from '../jobs/job-record.ts';

export const JobSchema = z
  .object({
    id: z.string().openapi({ example: 'job_3fK9a0c2Lr1XyQm8WzTb' }),
    object: z.literal('job'),
    kind: z.enum(JOB_KINDS),
    model: z.string(),
    status: z.enum(JOB_STATUSES),
    input: z.record(z.string(), z.unknown()),
    progress: z
      .object({
        step: z.int(),
        total_steps: z.int(),
        frame: z.int().optional(),
        frames: z.int().optional(),
      })
      .nullable(),
    outputs: z.array(
      z.object({
        url: z.string().openapi({ description: 'Signed link, valid for an hour.' }),
        seed: z.int(),
        width: z.int(),
        height: z.int(),
        content_type: z.string(),
      }),
    ),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    usage: z.object({
      credits_reserved: z.int(),
      credits: z
        .int()
        .nullable()
        .openapi({ description: 'What the job was charged, once it ended.' }),
      runner_seconds: z.number().nullable(),
    }),
    attempts: z.int(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    poll_after_seconds: z
      .int()
      .nullable()
      .openapi({ description: 'When to poll again (also the Retry-After header).' }),
    urls: z.object({ get: z.string(), stream: z.string(), cancel: z.string() }),
  })
  .openapi('Job');

export const JobListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(JobSchema),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  })
  .openapi('JobList');
