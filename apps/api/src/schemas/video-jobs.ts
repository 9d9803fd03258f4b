import { z } from '@hono/zod-openapi';
import { DEFAULT_MODEL } from '../catalog.ts';
import { boundedSettings, ModelName } from './bounds.ts';
import { QueueTimeout, WebhookSchema } from './common.ts';

/**
 * Deforum settings (the JSON Deforum saves). The API checks what it prices and bounds; the
 * runner's parser checks the rest (schedules, prompts) and fails the job with its own code.
 */
export const DeforumSettings = z
  .looseObject({
    max_frames: z.int().min(1).max(1000).default(120),
    W: z.int().min(64).max(1024).multipleOf(8).optional(),
    H: z.int().min(64).max(1024).multipleOf(8).optional(),
    steps: z.int().min(1).max(150).default(25),
    diffusion_cadence: z.int().min(1).max(50).default(1),
    strength_schedule: z.string().default('0: (0.65)'),
    prompts: z
      .record(z.string().max(32), z.string().max(4000))
      .refine((p) => Object.keys(p).length > 0, 'at least one prompt')
      .refine((p) => Object.keys(p).length <= 1000, 'at most 1000 keyframe prompts'),
    output_format: z.enum(['mp4', 'gif']).default('mp4'),
  })
  .superRefine(boundedSettings)
  .openapi('DeforumSettings', {
    description:
      'Unknown keys are passed to the runner as they are, within 64 KB and 8 levels of nesting.',
  });

export const AnimateRequest = z
  .object({
    model: ModelName.default(DEFAULT_MODEL),
    settings: DeforumSettings,
    webhook: WebhookSchema.optional(),
    queue_timeout_seconds: QueueTimeout,
  })
  .openapi('AnimateRequest');
