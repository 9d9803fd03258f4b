import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { App, AppEnv } from '../app-env.ts';
import { accountOf, allDispatchers } from '../env.ts';
import { ApiError, rethrowApiError } from '../errors.ts';
import { newId, randomToken, sha256Hex } from '../hashing.ts';
import { webhookSecretFor } from '../jobs/webhook-signing.ts';
import { SCOPES } from '../middleware/auth/index.ts';
import { forgetKey } from '../middleware/auth/key-cache.ts';
import { errorResponses, jsonBody } from '../schemas/common.ts';

const KeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ example: 'sk_live_ab12' }),
    scopes: z.array(z.enum(SCOPES)),
    rate_limit_per_minute: z.int(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

const KeyParams = z.object({ id: z.string() });
const admin = { tags: ['Admin'], security: [{ admin: [] }] };

const createKeyRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/admin/keys',
  summary: 'Create an API key (the key is shown once)',
  request: {
    body: jsonBody(
      z.object({
        name: z.string().min(1).max(100),
        scopes: z.array(z.enum(SCOPES)).default([...SCOPES]),
        rate_limit_per_minute: z.int().min(1).max(100000).default(60),
        credits: z.int().min(0).max(1e12).default(0),
      }),
    ),
  },
  responses: {
    201: {
      description: 'The key, with its secret (shown only here) and its webhook signing secret',
      content: {
        'application/json': {
          schema: KeySchema.extend({
            key: z.string(),
            webhook_secret: z.string(),
            balance: z.int(),
          }),
        },
      },
    },
    ...errorResponses(400, 401),
  },
});

const listKeysRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/admin/keys',
  summary: 'List API keys (never their secrets)',
  responses: {
    200: {
      description: 'Keys',
      content: { 'application/json': { schema: z.object({ data: z.array(KeySchema) }) } },
    },
    ...errorResponses(401),
  },
});

const updateKeyRoute = createRoute({
  ...admin,
  method: 'patch',
  path: '/admin/keys/{id}',
  summary: 'Change a key’s name, scopes or rate limit',
  request: {
    params: KeyParams,
    body: jsonBody(
      z.object({
        name: z.string().min(1).max(100).optional(),
        scopes: z.array(z.enum(SCOPES)).optional(),
        rate_limit_per_minute: z.int().min(1).max(100000).optional(),
      }),
    ),
  },
  responses: {
    200: { description: 'The key', content: { 'application/json': { schema: KeySchema } } },
    ...errorResponses(400, 401, 404),
  },
});

const revokeKeyRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/admin/keys/{id}/revoke',
  summary: 'Revoke a key (at once; it cannot be undone)',
  description:
    'Requests with the key are refused from then on; its queued jobs are canceled and refunded in full (error code key_revoked); jobs already running finish and are charged as usual.',
  request: { params: KeyParams },
  responses: {
    200: { description: 'The key', content: { 'application/json': { schema: KeySchema } } },
    ...errorResponses(401, 404),
  },
});

const grantRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/admin/keys/{id}/credits',
  summary: 'Grant credits',
  description: 'grant_id makes a retried grant count once.',
  request: {
    params: KeyParams,
    body: jsonBody(
      z.object({
        amount: z.int().min(1).max(1e12),
        grant_id: z.string().min(1).max(100).optional(),
      }),
    ),
  },
  responses: {
    200: {
      description: 'The balance',
      content: { 'application/json': { schema: z.object({ balance: z.int() }) } },
    },
    ...errorResponses(400, 401, 404, 409),
  },
});

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string;
  rate_limit_per_minute: number;
  created_at: string;
  revoked_at: string | null;
}
const toKey = (row: KeyRow) => ({ ...row, scopes: JSON.parse(row.scopes) });

async function keyRow(c: Context<AppEnv>, id: string): Promise<KeyRow> {
  const row = await c.env.DB.prepare(
    'SELECT id, name, prefix, scopes, rate_limit_per_minute, created_at, revoked_at FROM api_keys WHERE id = ?',
  )
    .bind(id)
    .first<KeyRow>();
  if (!row) throw new ApiError('not_found', `No API key ${id}.`);
  return row;
}

export function registerAdminKeyRoutes(app: App) {
  app.openapi(createKeyRoute, async (c) => {
    const body = c.req.valid('json');
    const secret = `sk_live_${randomToken(32)}`;
    const id = newId('key');
    const row: KeyRow = {
      id,
      name: body.name,
      prefix: secret.slice(0, 12),
      scopes: JSON.stringify([...new Set(body.scopes)]),
      rate_limit_per_minute: body.rate_limit_per_minute,
      created_at: new Date().toISOString(),
      revoked_at: null,
    };
    await c.env.DB.prepare(
      'INSERT INTO api_keys (id, name, prefix, hash, scopes, rate_limit_per_minute, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
      .bind(
        id,
        row.name,
        row.prefix,
        await sha256Hex(secret),
        row.scopes,
        row.rate_limit_per_minute,
        row.created_at,
      )
      .run();
    const balance =
      body.credits > 0
        ? rethrowApiError(await accountOf(c.env, id).grant(`initial:${id}`, body.credits)).balance
        : 0;
    return c.json(
      {
        ...toKey(row),
        key: secret,
        webhook_secret: await webhookSecretFor(c.env.SIGNING_SECRET, id),
        balance,
      },
      201,
    );
  });

  app.openapi(listKeysRoute, async (c) => {
    const rows = await c.env.DB.prepare(
      'SELECT id, name, prefix, scopes, rate_limit_per_minute, created_at, revoked_at FROM api_keys ORDER BY created_at',
    ).all<KeyRow>();
    return c.json({ data: rows.results.map(toKey) });
  });

  app.openapi(updateKeyRoute, async (c) => {
    const id = c.req.param('id') ?? '';
    const row = await keyRow(c, id);
    const body = c.req.valid('json');
    const next = {
      ...row,
      name: body.name ?? row.name,
      scopes: body.scopes ? JSON.stringify([...new Set(body.scopes)]) : row.scopes,
      rate_limit_per_minute: body.rate_limit_per_minute ?? row.rate_limit_per_minute,
    };
    await c.env.DB.prepare(
      'UPDATE api_keys SET name = ?, scopes = ?, rate_limit_per_minute = ? WHERE id = ?',
    )
      .bind(next.name, next.scopes, next.rate_limit_per_minute, id)
      .run();
    forgetKey(id);
    return c.json(toKey(next));
  });

  app.openapi(revokeKeyRoute, async (c) => {
    const id = c.req.param('id') ?? '';
    await keyRow(c, id);
    await c.env.DB.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?')
      .bind(new Date().toISOString(), id)
      .run();
    forgetKey(id);
    // After D1 (new requests are refused from here): its queued jobs are canceled and refunded.
    await Promise.all(allDispatchers(c.env).map((shard) => shard.revokeKey(id)));
    return c.json(toKey(await keyRow(c, id)));
  });

  app.openapi(grantRoute, async (c) => {
    const id = c.req.param('id') ?? '';
    await keyRow(c, id);
    const body = c.req.valid('json');
    const granted = rethrowApiError(
      await accountOf(c.env, id).grant(`grant:${body.grant_id ?? newId('grant')}`, body.amount),
    );
    return c.json({ balance: granted.balance }, 200);
  });
}
