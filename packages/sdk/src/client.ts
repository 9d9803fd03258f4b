import { SdedgeError } from './errors.ts';
import { HttpClient, type RetryInfo } from './http.ts';
import { type ImageInput, toImageData } from './image-input.ts';
import { Jobs, type Progress, type Timeout } from './jobs.ts';
import { createLogger, type LogLevel } from './logger.ts';
import { OutputFile } from './output-file.ts';
import type {
  DeforumSettings,
  GenerationsRequest,
  GenerationsResponse,
  Job,
  ModelList,
  Token,
  TokenRequest,
  Txt2ImgRequest,
  Usage,
  Webhook,
} from './types.ts';
import { type VerifyOptions, verifyWebhook } from './webhooks.ts';

export interface SdedgeOptions {
  /** A secret key (`sk_...`) or a short-lived browser token; default $SDEDGE_API_KEY. */
  apiKey?: string;
  /** Default $SDEDGE_API_URL, else http://127.0.0.1:8787 (the API under wrangler dev). */
  baseUrl?: string;
  /** A fetch of your own (proxies, tests, other runtimes). */
  fetch?: typeof fetch;
  /** Retries of 408/429/5xx and connection errors (default 2). */
  maxRetries?: number;
  onRetry?: (info: RetryInfo) => void;
  /** Per HTTP request, in ms (default 60 s); a job's own wait has `timeout` per call. */
  requestTimeout?: number;
  /** Default $SDEDGE_LOG, else 'warn'. */
  logLevel?: LogLevel;
}

/** What every job call takes besides its own fields. */
export interface JobCallOptions {
  onProgress?: (progress: Progress) => void;
  /** Aborting stops waiting and cancels the job on the server. */
  signal?: AbortSignal;
  /** ms, or { queue, run, total }: past it the job is canceled and APITimeoutError thrown. */
  timeout?: Timeout;
  webhook?: Webhook;
  /**
   * Seconds the job may wait on the server for a runner (default 3600): past it the job fails
   * with `queue_timeout` and is refunded, even if this client has gone.
   */
  queueTimeoutSeconds?: number;
  /** Made once per call when not given, and reused on every retry of the create. */
  idempotencyKey?: string;
  /** false: poll instead of streaming events. */
  stream?: boolean;
}

/** The image fields, named as in JavaScript. */
export interface ImageOptions extends JobCallOptions {
  negativePrompt?: Txt2ImgRequest['negative_prompt'];
  model?: Txt2ImgRequest['model'];
  width?: Txt2ImgRequest['width'];
  height?: Txt2ImgRequest['height'];
  steps?: Txt2ImgRequest['steps'];
  guidanceScale?: Txt2ImgRequest['guidance_scale'];
  sampler?: Txt2ImgRequest['sampler'];
  /** Image i of a batch uses seed + i. */
  seed?: Txt2ImgRequest['seed'];
  /** Images in the batch. */
  n?: Txt2ImgRequest['n'];
}

export interface Img2ImgOptions extends ImageOptions {
  /** 0 keeps the image, 1 ignores it (default 0.75). */
  strength?: number;
}

export interface ImagesResult {
  job: Job;
  images: OutputFile[];
}

export interface VideoResult {
  job: Job;
  video: OutputFile;
}

// The options each method reads; any other is refused (the API would drop it unread).
const JOB_OPTIONS = [
  'onProgress',
  'signal',
  'timeout',
  'webhook',
  'queueTimeoutSeconds',
  'idempotencyKey',
  'stream',
  'model',
];
const TXT2IMG_OPTIONS = new Set([
  ...JOB_OPTIONS,
  ...['negativePrompt', 'width', 'height', 'steps', 'guidanceScale', 'sampler', 'seed', 'n'],
]);
const IMG2IMG_OPTIONS = new Set([...TXT2IMG_OPTIONS, 'strength']);
const ANIMATE_OPTIONS = new Set(JOB_OPTIONS);

/**
 * The sdedge client. Every job method creates the job, waits for it (streaming its events,
 * resuming a dropped stream, polling where streaming is unavailable) and returns its outputs.
 *
 * @example
 * const sd = new Sdedge({ apiKey: process.env.SDEDGE_API_KEY })
 * const { images } = await sd.txt2img('a lighthouse at dusk', { steps: 20, seed: 7 })
 */
export class Sdedge {
  readonly jobs: Jobs;
  readonly webhooks = {
    /** Checks a delivery's signature and timestamp; the typed event, or WebhookVerificationError. */
    verify: (
      body: string | Uint8Array,
      headers: Headers | Record<string, string | string[] | undefined>,
      secret: string,
      options?: VerifyOptions,
    ) => verifyWebhook(body, headers, secret, options),
  };
  private readonly http: HttpClient;
  private readonly fetcher: typeof fetch;

  constructor(options: SdedgeOptions = {}) {
    const env =
      (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
    const apiKey = options.apiKey ?? env.SDEDGE_API_KEY;
    if (!apiKey) throw new SdedgeError('No API key: pass { apiKey } or set SDEDGE_API_KEY.');
    const logger = createLogger(options.logLevel);
    this.fetcher = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.http = new HttpClient({
      baseUrl: options.baseUrl ?? env.SDEDGE_API_URL ?? 'http://127.0.0.1:8787',
      apiKey,
      fetch: this.fetcher,
      timeout: options.requestTimeout ?? 60_000,
      maxRetries: options.maxRetries ?? 2,
      onRetry: options.onRetry,
      logger,
    });
    this.jobs = new Jobs(this.http, logger);
  }

  async txt2img(prompt: string, options: ImageOptions = {}): Promise<ImagesResult> {
    return this.images(
      '/v1/images/txt2img',
      { prompt, ...imageFields(options, TXT2IMG_OPTIONS, 'txt2img') },
      options,
    );
  }

  async img2img(
    image: ImageInput,
    prompt: string,
    options: Img2ImgOptions = {},
  ): Promise<ImagesResult> {
    const init_image = await toImageData(image, 'image', this.fetcher);
    return this.images(
      '/v1/images/img2img',
      { prompt, init_image, ...imageFields(options, IMG2IMG_OPTIONS, 'img2img') },
      options,
    );
  }

  /** `mask`: white where to repaint, black where to keep. */
  async inpaint(
    image: ImageInput,
    mask: ImageInput,
    prompt: string,
    options: Img2ImgOptions = {},
  ): Promise<ImagesResult> {
    const [init_image, mask_image] = await Promise.all([
      toImageData(image, 'image', this.fetcher),
      toImageData(mask, 'mask', this.fetcher),
    ]);
    return this.images(
      '/v1/images/inpaint',
      { prompt, init_image, mask_image, ...imageFields(options, IMG2IMG_OPTIONS, 'inpaint') },
      options,
    );
  }

  /** A Deforum settings object (as Deforum saves it) to an MP4 (or GIF: `output_format`). */
  async animate(
    settings: DeforumSettings | Record<string, unknown>,
    options: JobCallOptions & { model?: string } = {},
  ): Promise<VideoResult> {
    checkOptions(options, ANIMATE_OPTIONS, 'animate');
    const body = {
      settings,
      ...(options.model ? { model: options.model } : {}),
      ...(options.webhook ? { webhook: options.webhook } : {}),
      ...(options.queueTimeoutSeconds !== undefined
        ? { queue_timeout_seconds: options.queueTimeoutSeconds }
        : {}),
    };
    const job = await this.run('/v1/videos/animate', body, options);
    const [output] = job.outputs;
    if (!output) throw new SdedgeError(`Job ${job.id} succeeded without a video.`);
    return { job, video: new OutputFile(output, this.fetcher) };
  }

  /** OpenAI's images API shape (`POST /v1/images/generations`): synchronous, for OpenAI-style code. */
  generations(
    body: GenerationsRequest,
    options: { signal?: AbortSignal; idempotencyKey?: string } = {},
  ): Promise<GenerationsResponse> {
    return this.http.json<GenerationsResponse>('POST', '/v1/images/generations', {
      json: body,
      idempotencyKey: options.idempotencyKey ?? crypto.randomUUID(),
      signal: options.signal,
      timeout: 90_000,
    });
  }

  /**
   * Mints a short-lived token for a browser (with a secret key): it acts for the key, limited to
   * `maxJobs` jobs, `scopes` and `expiresIn` seconds. Pass it to `new Sdedge({ apiKey: token })`.
   */
  readonly tokens = {
    create: (
      options: { maxJobs?: number; expiresIn?: number; scopes?: TokenRequest['scopes'] } = {},
    ) =>
      this.http.json<Token>('POST', '/v1/tokens', {
        json: Object.fromEntries(
          Object.entries({
            max_jobs: options.maxJobs,
            expires_in: options.expiresIn,
            scopes: options.scopes,
          }).filter(([, v]) => v !== undefined),
        ),
      }),
  };

  usage(options: { days?: number } = {}): Promise<Usage> {
    return this.http.json<Usage>('GET', '/v1/usage', { searchParams: { days: options.days } });
  }

  models(): Promise<ModelList> {
    return this.http.json<ModelList>('GET', '/v1/models');
  }

  private async images(
    path: string,
    body: Record<string, unknown>,
    options: JobCallOptions,
  ): Promise<ImagesResult> {
    const job = await this.run(path, body, options);
    return { job, images: job.outputs.map((o) => new OutputFile(o, this.fetcher)) };
  }

  private async run(
    path: string,
    body: Record<string, unknown>,
    options: JobCallOptions,
  ): Promise<Job> {
    const created = await this.jobs.create(path, body, {
      idempotencyKey: options.idempotencyKey,
      signal: options.signal,
    });
    return this.jobs.wait(created.id, options);
  }
}

/** Options to API fields; an option the SDK does not know is refused, never ignored. */
function imageFields(
  options: Img2ImgOptions,
  allowed: Set<string>,
  method: string,
): Record<string, unknown> {
  checkOptions(options, allowed, method);
  const fields: Record<string, unknown> = {
    negative_prompt: options.negativePrompt,
    model: options.model,
    width: options.width,
    height: options.height,
    steps: options.steps,
    guidance_scale: options.guidanceScale,
    sampler: options.sampler,
    seed: options.seed,
    n: options.n,
    strength: options.strength,
    webhook: options.webhook,
    queue_timeout_seconds: options.queueTimeoutSeconds,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function checkOptions(options: object, allowed: Set<string>, method: string) {
  const unknown = Object.keys(options).filter((k) => !allowed.has(k));
  if (unknown.length > 0)
    throw new SdedgeError(`Unknown options for ${method}: ${unknown.join(', ')}.`);
}
