import { createRoute, z } from '@hono/zod-openapi';
import { GENERATION_BOUNDS, GENERATION_DEFAULTS } from '@sdedge/pipeline/defaults';
import type { App } from '../app-env.ts';
import { DEFAULT_MODEL } from '../catalog.ts';
import { dispatcherOf } from '../env.ts';
import { ApiError } from '../errors.ts';
import { toBase64 } from '../hashing.ts';
import { submitJob } from '../jobs/create-job.ts';
import { toPublicJob } from '../jobs/job-record.ts';
import { outputKey } from '../jobs/output-keys.ts';
import { resolveModelSize } from '../jobs/resolve-model-size.ts';
import { requireScope } from '../middleware/auth/index.ts';
import { imageCost } from '../pricing.ts';
import { ModelName } from '../schemas/bounds.ts';
import { DEFAULT_QUEUE_TIMEOUT_SECONDS } from '../schemas/common.ts';
import { validationError } from '../validation-error.ts';

export const OPENAI_PATH = '/v1/images/generations';
/** How long the synchronous call waits before it gives up (and cancels the job). */
export const OPENAI_TIMEOUT_SECONDS = 60;

const OpenAiRequest = z
  .object({
    prompt: z.string().min(1).max(4000),
    model: ModelName.default(DEFAULT_MODEL),
    n: z.int().min(1).max(GENERATION_BOUNDS.batchSize.max).default(1),
    size: z
      .string()
      .regex(/^\d+x\d+$/, 'size is "WIDTHxHEIGHT", e.g. "512x512"')
      .optional(),
    response_format: z.enum(['url', 'b64_json']).default('url'),
    quality: z.string().max(64).optional(),
    style: z.string().max(64).optional(),
    user: z.string().max(256).optional(),
  })
  .openapi('OpenAiImageRequest');

const route = createRoute({
  method: 'post',
  path: OPENAI_PATH,
  tags: ['OpenAI compatible'],
  summary: 'OpenAI-compatible image generation (synchronous)',
  description: `The official openai client works unchanged (baseURL ".../v1"). Waits up to ${OPENAI_TIMEOUT_SECONDS} s; errors use OpenAI's { error: { message, type, param, code } } shape.`,
  security: [{ bearer: [] }],
  request: { body: { content: { 'application/json': { schema: OpenAiRequest } } } },
  responses: {
    200: {
      description: 'OpenAI ImagesResponse',
      content: {
        'application/json': {
          schema: z.object({
            created: z.int(),
            data: z.array(
              z.object({
                url: z.string().optional(),
                b64_json: z.string().optional(),
                revised_prompt: z.string().optional(),
              }),
            ),
          }),
        },
      },
    },
  },
});

/** OpenAI's error `type` for each of our statuses. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 402) return 'insufficient_quota';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** OpenAI's "WxH" as a width and height the model takes; every fault is reported as `size`. */
function openAiSize(model: string, size: string | undefined) {
  const [w, h] = size ? size.split('x').map(Number) : [undefined, undefined];
  if ((w !== undefined && (w < 64 || w % 8 !== 0)) || (h !== undefined && (h < 64 || h % 8 !== 0)))
    throw new ApiError('invalid_request', 'size: each side a multiple of 8, at least 64.', {
      param: 'size',
    });
  try {
    return resolveModelSize('txt2img', { model, width: w, height: h });
  } catch (error) {
    if (
      error instanceof ApiError &&
      (error.details.param === 'width' || error.details.param === 'height')
    )
      throw new ApiError('invalid_request', `size: ${error.message}`, { param: 'size' });
    throw error;
  }
}

export function registerOpenAiRoutes(app: App) {
  app.openapi(route, async (c) => {
    requireScope(c.get('apiKey'), 'images');
    const parsed = OpenAiRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw validationError(parsed.error);
    const body = parsed.data;
    const { width, height } = openAiSize(body.model, body.size);
    const steps = GENERATION_DEFAULTS.steps;
    let job = await submitJob(c, {
      kind: 'txt2img',
      model: body.model,
      input: {
        prompt: body.prompt,
        model: body.model,
        width,
        height,
        n: body.n,
        steps,
        guidance_scale: GENERATION_DEFAULTS.guidanceScale,
        sampler: GENERATION_DEFAULTS.sampler,
      },
      images: [],
      cost: imageCost({ steps, width, height, n: body.n }),
      webhook: null,
      queueTimeoutSeconds: DEFAULT_QUEUE_TIMEOUT_SECONDS,
    });
    const dispatcher = dispatcherOf(c.env, job.id);
    job = (await dispatcher.waitForEnd(job.id, OPENAI_TIMEOUT_SECONDS * 1000)) ?? job;
    if (job.status === 'queued' || job.status === 'running') {
      await dispatcher.cancel(job.id);
      throw new ApiError(
        'timeout',
        `The image was not ready within ${OPENAI_TIMEOUT_SECONDS} s; the job was canceled.`,
      );
    }
    // The job's own end, not a server fault: canceled (by the caller, elsewhere) or failed.
    if (job.status === 'canceled')
      throw new ApiError('job_canceled', `Job ${job.id} was canceled before it finished.`, {
        job_id: job.id,
      });
    if (job.status !== 'succeeded')
      throw new ApiError(
        'job_failed',
        `Job ${job.id} failed: ${job.error?.message ?? 'no reason given'}.`,
        { job_id: job.id, job_error: job.error },
      );
    const data =
      body.response_format === 'url'
        ? (await toPublicJob(job, c.env.SIGNING_SECRET)).outputs.map((o) => ({
            url: o.url,
            revised_prompt: body.prompt,
          }))
        : await Promise.all(
            job.outputs.map(async (o) => {
              const object = await c.env.BLOBS.get(outputKey(job.id, o));
              return {
                b64_json: toBase64(await (object?.arrayBuffer() ?? new ArrayBuffer(0))),
                revised_prompt: body.prompt,
              };
            }),
          );
    return c.json({ created: Math.floor((job.finishedAt ?? Date.now()) / 1000), data });
  });
}
