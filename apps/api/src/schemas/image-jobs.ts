import { z } from '@hono/zod-openapi';
import { GENERATION_BOUNDS, GENERATION_DEFAULTS } from '@sdedge/pipeline/defaults';
import { DEFAULT_MODEL, SAMPLERS, samplerNameOf } from '../catalog.ts';
import { ModelName } from './bounds.ts';
import { QueueTimeout, WebhookSchema } from './common.ts';

const dimension = z.int().min(64).max(1024).multipleOf(8);

/** The fields every image job shares (names as in diffusers / the OpenAI and Replicate APIs). */
export const ImageJobBase = z.object({
  prompt: z
    .string()
    .min(1)
    .max(4000)
    .openapi({ example: 'a blue circle in the top left on a white background' }),
  negative_prompt: z.string().max(4000).optional(),
  model: ModelName.default(DEFAULT_MODEL),
  width: dimension.optional().openapi({ description: "Defaults to the model's size." }),
  height: dimension.optional(),
  steps: z
    .int()
    .min(GENERATION_BOUNDS.steps.min)
    .max(GENERATION_BOUNDS.steps.max)
    .default(GENERATION_DEFAULTS.steps),
  guidance_scale: z
    .number()
    .min(GENERATION_BOUNDS.guidanceScale.min)
    .max(GENERATION_BOUNDS.guidanceScale.max)
    .default(GENERATION_DEFAULTS.guidanceScale),
  sampler: z
    .preprocess(samplerNameOf, z.enum(SAMPLERS))
    .default(GENERATION_DEFAULTS.sampler)
    .openapi({ description: 'Also AUTOMATIC1111\'s name, in any case ("DPM++ 2M Karras").' }),
  seed: z
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional()
    .openapi({ description: 'Random when left out; the job reports the seed it used.' }),
  n: z
    .int()
    .min(GENERATION_BOUNDS.batchSize.min)
    .max(GENERATION_BOUNDS.batchSize.max)
    .default(GENERATION_DEFAULTS.batchSize)
    .openapi({ description: 'Images in the batch.' }),
  webhook: WebhookSchema.optional(),
  queue_timeout_seconds: QueueTimeout,
});

/** An image as base64 (plain or a data: URL) in JSON; multipart uploads are read into this. */
const ImageData = z.string().min(1).openapi({ description: 'PNG or JPEG, base64 or a data: URL.' });

export const Txt2ImgRequest = ImageJobBase.openapi('Txt2ImgRequest');

export const Img2ImgRequest = ImageJobBase.extend({
  init_image: ImageData,
  strength: z.number().min(0).max(1).default(GENERATION_DEFAULTS.img2imgStrength),
}).openapi('Img2ImgRequest');

export const InpaintRequest = ImageJobBase.extend({
  init_image: ImageData,
  mask_image: ImageData.openapi({ description: 'White where to repaint, black where to keep.' }),
  strength: z.number().min(0).max(1).default(GENERATION_DEFAULTS.inpaintStrength),
}).openapi('InpaintRequest');

/** Multipart: the JSON fields in a `request` part, the images as file parts. */
export const ImageMultipart = z
  .object({
    request: z.string().openapi({ description: 'The JSON request, without its images.' }),
    init_image: z.any().openapi({ type: 'string', format: 'binary' }),
    mask_image: z.any().optional().openapi({ type: 'string', format: 'binary' }),
  })
  .openapi('ImageMultipart');
