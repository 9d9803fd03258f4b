import { swaggerUI } from '@hono/swagger-ui';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './app-env.ts';
import { accountOf } from './env.ts';
import { ApiError } from './errors.ts';
import { apiKeyAuth, tokenAuth } from './middleware/auth/index.ts';
import { runnerAuth } from './middleware/auth/runner-auth.ts';
import { publicCors } from './middleware/cors/index.ts';
import { rateLimit } from './middleware/rate-limit/index.ts';
import { requestId } from './middleware/request-id/index.ts';
import { registerAccountRoutes } from './routes/account.ts';
import { registerAdminKeyRoutes } from './routes/admin-keys.ts';
import { registerRunnerTokenRoutes } from './routes/admin-runner-tokens.ts';
import { registerBenchRoutes } from './routes/bench.ts';
import { registerImageRoutes } from './routes/images.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { OPENAI_PATH, openAiErrorType, registerOpenAiRoutes } from './routes/openai-images.ts';
import { isSignedOutputRequest, registerOutputRoutes } from './routes/outputs.ts';
import { MAX_OUTPUT_BYTES, registerRunnerRoutes } from './routes/runner.ts';
import { registerTokenRoutes } from './routes/tokens.ts';
import { registerVideoRoutes } from './routes/videos.ts';
import { validationError } from './validation-error.ts';

/** Largest public request body: two 8 MB images in base64 and the JSON around them. */
export const MAX_REQUEST_BYTES = 24 * 1024 * 1024;

const HTTP_CODES: Record<number, ApiError['code']> = {
  400: 'invalid_json',
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** Every error in one JSON shape (OpenAI's on the OpenAI-compatible route), with the request id. */
function renderError(error: Error, c: Context<AppEnv>) {
  let apiError: ApiError;
  if (error instanceof ApiError) apiError = error;
  else if (error instanceof HTTPException && HTTP_CODES[error.status]) {
    // Hono's body parsers answer 400 for a body they cannot read: name the format that failed.
    const multipart = /^multipart\/form-data/i.test(c.req.header('content-type') ?? '');
    const code = error.status === 400 && multipart ? 'invalid_multipart' : HTTP_CODES[error.status];
    apiError = new ApiError(code ?? 'invalid_request', error.message || 'Bad request.');
  } else {
    console.error(error);
    apiError = new ApiError(
      'internal_error',
      'Something went wrong on our side; the request id helps us find it.',
    );
  }
  const requestId = c.get('requestId') ?? '';
  for (const [name, value] of Object.entries(apiError.headers)) c.header(name, value);
  if (new URL(c.req.url).pathname === OPENAI_PATH)
    return c.json(
      {
        error: {
          message: apiError.message,
          type: openAiErrorType(apiError.status),
          param: apiError.details.param ?? null,
          code: apiError.code,
        },
      },
      apiError.status,
    );
  return c.json(
    {
      error: {
        code: apiError.code,
        message: apiError.message,
        request_id: requestId,
        ...apiError.details,
      },
    },
    apiError.status,
  );
}

/** Routes that count their request in the same Account call that admits the job. */
const JOB_CREATION_PATHS = new Set([
  '/v1/images/txt2img',
  '/v1/images/img2img',
  '/v1/images/inpaint',
  '/v1/videos/animate',
  OPENAI_PATH,
]);

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });
  app.onError(renderError);
  app.notFound((c) =>
    renderError(
      new ApiError('not_found', `No route ${c.req.method} ${new URL(c.req.url).pathname}.`),
      c,
    ),
  );

  app.use(requestId());
  // nosniff, frame and referrer policy, HSTS ... on every answer. Outputs may be embedded by
  // other origins (the playground, apps' <img>), so resources are cross-origin readable.
  app.use(secureHeaders({ crossOriginResourcePolicy: 'cross-origin' }));
  // API answers carry signed links and account data: never stored by a cache (an output sets
  // its own, private, Cache-Control).
  app.use('/v1/*', async (c, next) => {
    await next();
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
  });
  // Before auth, so a browser's preflight (no Authorization header) is answered.
  app.use('/v1/*', publicCors());
  app.get('/health', (c) => c.json({ ok: true, service: 'sdedge-api' }));

  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_REQUEST_BYTES,
      onError: () => {
        throw new ApiError(
          'payload_too_large',
          `Request bodies are at most ${MAX_REQUEST_BYTES / 1048576} MB.`,
        );
      },
    }),
  );
  const keyAuth = apiKeyAuth({
    db: (c) => c.env.DB,
    signingSecret: (c) => c.env.SIGNING_SECRET,
  });
  const limit = rateLimit({
    hit: (c) => accountOf(c.env, c.get('apiKey').id).hit(c.get('apiKey').rateLimitPerMinute),
    countedByHandler: (c) => c.req.method === 'POST' && JOB_CREATION_PATHS.has(c.req.path),
  });
  const linkLimit = rateLimit({
    hit: (c) =>
      accountOf(c.env, `ip:${c.req.header('cf-connecting-ip') ?? 'local'}`).hit(
        Number(c.env.SIGNED_LINK_RATE_PER_MINUTE) || 600,
      ),
  });
  app.use('/v1/*', async (c, next) => {
    // A signed link carries no key: it is limited per client IP instead, valid or forged.
    if (isSignedOutputRequest(new URL(c.req.url))) return await linkLimit(c, next);
    await keyAuth(c as never, async () => {
      await limit(c, next);
    });
  });
  app.use('/admin/*', tokenAuth({ token: (c) => c.env.ADMIN_TOKEN, realm: 'admin' }));
  app.use('/runner/*', runnerAuth());
  app.use(
    '/runner/*',
    bodyLimit({
      maxSize: MAX_OUTPUT_BYTES,
      onError: () => {
        throw new ApiError(
          'payload_too_large',
          `Uploads are at most ${MAX_OUTPUT_BYTES / 1048576} MB.`,
        );
      },
    }),
  );

  registerImageRoutes(app);
  registerVideoRoutes(app);
  registerJobRoutes(app);
  registerOutputRoutes(app);
  registerAccountRoutes(app);
  registerTokenRoutes(app);
  registerOpenAiRoutes(app);
  registerRunnerTokenRoutes(app);
  registerBenchRoutes(app);
  registerAdminKeyRoutes(app);
  registerRunnerRoutes(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key, sk_live_...',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'admin', {
    type: 'http',
    scheme: 'bearer',
    description: 'The ADMIN_TOKEN secret',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'runner', {
    type: 'http',
    scheme: 'bearer',
    description: 'The RUNNER_TOKEN secret',
  });
  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'sdedge API',
      version: '1.0.0',
      description:
        'Stable Diffusion jobs: txt2img, img2img, inpaint and Deforum-style video, queued to GPU runners.',
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  // Swagger UI's files come from the worker's own static assets, not a CDN (see wrangler.toml).
  app.get(
    '/docs',
    swaggerUI({ url: '/openapi.json', baseUrl: '/docs/assets', title: 'sdedge API' }),
  );
  return app;
}
