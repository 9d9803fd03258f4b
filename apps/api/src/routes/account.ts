import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../app-env.ts';
import { MODELS } from '../catalog.ts';
import { accountOf, allDispatchers } from '../env.ts';
import { requireScope } from '../middleware/auth/index.ts';
import { errorResponses } from '../schemas/common.ts';

/** A model is listed while some runner has asked work for it this recently. */
export const MODEL_SERVED_WINDOW_MS = 10 * 60 * 1000;

const usageRoute = createRoute({
  method: 'get',
  path: '/v1/usage',
  tags: ['Account'],
  summary: 'Credit balance and usage by day and kind',
  description:
    'Price: 1 credit per denoising step per 512x512 of output per image (img2img and inpaint: strength x steps); a video is the sum of its diffused frames. Usage counts the credits settled jobs were charged, by the day they ended (a job refunded in full is not counted); `reserved` is what jobs not yet ended hold.',
  security: [{ bearer: [] }],
  request: { query: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }) },
  responses: {
    200: {
      description: 'Balance and usage',
      content: {
        'application/json': {
          schema: z.object({
            balance: z.int(),
            reserved: z.int().openapi({ description: 'Credits held by jobs not yet ended' }),
            usage: z.array(
              z.object({ day: z.string(), kind: z.string(), credits: z.int(), jobs: z.int() }),
            ),
          }),
        },
      },
    },
    ...errorResponses(400, 401, 403, 429),
  },
});

const modelsRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  tags: ['Account'],
  summary: 'Models runners serve now',
  description:
    'The models some runner has asked work for in the last 10 minutes (a job for another model waits until one does, or until its queue_timeout_seconds).',
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: 'Models',
      content: {
        'application/json': {
          schema: z.object({
            object: z.literal('list'),
            data: z.array(
              z.object({
                id: z.string(),
                description: z.string(),
                default_size: z.int(),
                max_size: z.int(),
                kinds: z.array(z.string()),
                last_served_at: z.string().openapi({
                  description: 'When a runner last asked for work for this model',
                }),
              }),
            ),
          }),
        },
      },
    },
    ...errorResponses(401, 429),
  },
});

export function registerAccountRoutes(app: App) {
  app.openapi(usageRoute, async (c) => {
    requireScope(c.get('apiKey'), 'read');
    const { days } = c.req.valid('query');
    return c.json(await accountOf(c.env, c.get('apiKey').id).usage(days));
  });
  app.openapi(modelsRoute, async (c) => {
    const since = Date.now() - MODEL_SERVED_WINDOW_MS;
    const served = new Map<string, number>();
    for (const shard of await Promise.all(allDispatchers(c.env).map((d) => d.servedModels(since))))
      for (const { model, seenAt } of shard)
        served.set(model, Math.max(seenAt, served.get(model) ?? 0));
    const data = MODELS.filter((m) => served.has(m.id)).map((m) => ({
      ...m,
      kinds: [...m.kinds],
      last_served_at: new Date(served.get(m.id) ?? 0).toISOString(),
    }));
    return c.json({ object: 'list' as const, data });
  });
}
