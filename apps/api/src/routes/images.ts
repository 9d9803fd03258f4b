import { createRoute, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { App, AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { createJob } from '../jobs/create-job.ts';
import { type ImageHeader, readImageHeader } from '../jobs/image-header.ts';
import { decodeImageData, MAX_IMAGE_BYTES } from '../jobs/image-input.ts';
import type { JobKind } from '../jobs/job-record.ts';
import { resolveModelSize } from '../jobs/resolve-model-size.ts';
import { scopeRequired } from '../middleware/auth/index.ts';
import { imageCost } from '../pricing.ts';
import { errorResponses } from '../schemas/common.ts';
import {
  ImageMultipart,
  Img2ImgRequest,
  InpaintRequest,
  Txt2ImgRequest,
} from '../schemas/image-jobs.ts';
import { JobSchema } from '../schemas/job.ts';
import { validated } from '../validated.ts';
import { validationError } from '../validation-error.ts';

const IMAGE_FIELDS = {
  txt2img: [],
  img2img: ['init_image'],
  inpaint: ['init_image', 'mask_image'],
} as const;
const SCHEMAS = {
  txt2img: Txt2ImgRequest,
  img2img: Img2ImgRequest,
  inpaint: InpaintRequest,
} as const;
type ImageKind = keyof typeof SCHEMAS;

const jobRoute = (kind: ImageKind) =>
  createRoute({
    method: 'post',
    path: `/v1/images/${kind}`,
    tags: ['Images'],
    summary: `Queue a ${kind} job`,
    description:
      'Answers 202 with the queued job. `Prefer: wait=N` (N <= 60) holds the answer until the job ends or N seconds pass; `Idempotency-Key` makes retries safe.',
    security: [{ bearer: [] }],
    middleware: [scopeRequired('images')] as const,
    request: {
      body: {
        content: {
          'application/json': { schema: SCHEMAS[kind] },
          ...(kind === 'txt2img' ? {} : { 'multipart/form-data': { schema: ImageMultipart } }),
        },
      },
    },
    responses: {
      200: {
        description: 'The job ended within the Prefer: wait time',
        content: { 'application/json': { schema: JobSchema } },
      },
      202: {
        description: 'The job, queued',
        content: { 'application/json': { schema: JobSchema } },
      },
      ...errorResponses(400, 401, 402, 403, 413, 422, 429),
    },
  });

type ImageRequest = z.infer<typeof Img2ImgRequest> & Partial<z.infer<typeof InpaintRequest>>;

/**
 * The request, validated: a JSON body as the route's validator already checked it, or a
 * multipart body's `request` part checked here with its image file parts standing in for the
 * base64 fields (so one schema checks both forms).
 */
async function readRequest(c: Context<AppEnv>, kind: ImageKind) {
  const type = c.req.header('content-type') ?? '';
  if (/^application\/json/i.test(type))
    return { request: validated<ImageRequest>(c), files: {} as Record<string, File> };
  if (!/^multipart\/form-data/i.test(type))
    throw new ApiError('unsupported_media_type', 'Send application/json or multipart/form-data.');
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new ApiError('invalid_multipart', 'The multipart/form-data body cannot be parsed.');
  }
  const part = form.get('request');
  let fields: unknown = {};
  if (typeof part === 'string') {
    try {
      fields = JSON.parse(part);
    } catch {
      throw new ApiError('invalid_multipart', 'The multipart "request" part is not valid JSON.', {
        param: 'request',
      });
    }
  }
  const files: Record<string, File> = {};
  for (const name of IMAGE_FIELDS[kind]) {
    const file = form.get(name);
    if (file instanceof File) files[name] = file;
  }
  const placeholders = Object.fromEntries(Object.keys(files).map((name) => [name, 'file']));
  const parsed = SCHEMAS[kind].safeParse({ ...(fields as object), ...placeholders });
  if (!parsed.success) throw validationError(parsed.error);
  return { request: parsed.data as ImageRequest, files };
}

async function handle(c: Context<AppEnv>, kind: ImageKind) {
  const { request, files } = await readRequest(c, kind);
  const images = [];
  for (const name of IMAGE_FIELDS[kind]) {
    const file = files[name];
    const bytes = file
      ? new Uint8Array(await file.arrayBuffer())
      : decodeImageData(String(request[name]), name);
    if (bytes.length > MAX_IMAGE_BYTES)
      throw new ApiError('payload_too_large', `${name} is over ${MAX_IMAGE_BYTES / 1048576} MB.`, {
        param: name,
      });
    images.push({ name, bytes, header: readImageHeader(bytes, name) });
  }
  // img2img and inpaint keep the init image's size (the runner does not resize): that size is
  // what is checked against the model and priced.
  const init = images[0]?.header;
  if (init) checkInitImageSize(request, init, images[1]?.header);
  const { width, height } = resolveModelSize(kind, {
    model: request.model,
    width: init?.width ?? request.width,
    height: init?.height ?? request.height,
  });
  const { webhook, queue_timeout_seconds, init_image: _i, mask_image: _m, ...rest } = request;
  const input = { ...rest, width, height };
  const strength = kind === 'txt2img' ? 1 : request.strength;
  return await createJob(c, {
    kind: kind as JobKind,
    model: request.model,
    input,
    images: images.map((i) => ({
      name: i.name,
      bytes: i.bytes,
      contentType: i.header.contentType,
    })),
    cost: imageCost({ steps: request.steps, width, height, n: request.n, strength }),
    webhook: webhook ?? null,
    queueTimeoutSeconds: queue_timeout_seconds,
  });
}

/** The init image decides the size: a multiple of 8, the mask the same, width/height agreeing. */
function checkInitImageSize(request: ImageRequest, init: ImageHeader, mask?: ImageHeader) {
  if (init.width % 8 !== 0 || init.height % 8 !== 0)
    throw new ApiError(
      'invalid_image',
      `init_image is ${init.width}x${init.height}; each side must be a multiple of 8.`,
      { param: 'init_image' },
    );
  if (mask && (mask.width !== init.width || mask.height !== init.height))
    throw new ApiError(
      'invalid_image',
      `mask_image is ${mask.width}x${mask.height} but init_image is ${init.width}x${init.height}.`,
      { param: 'mask_image' },
    );
  for (const side of ['width', 'height'] as const)
    if (request[side] !== undefined && request[side] !== init[side])
      throw new ApiError(
        'invalid_request',
        `${side} ${request[side]} differs from init_image's ${init[side]}: the output keeps the init image's size (leave ${side} out, or resize the image).`,
        { param: side },
      );
}

export function registerImageRoutes(app: App) {
  for (const kind of ['txt2img', 'img2img', 'inpaint'] as const)
    app.openapi(jobRoute(kind), (c) => handle(c as unknown as Context<AppEnv>, kind));
}
