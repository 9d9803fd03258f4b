import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { App, AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { newId, randomToken, sha256Hex } from '../hashing.ts';
import { RUNNER_TOKEN_PREFIX } from '../middleware/auth/runner-auth.ts';
import { Id } from '../schemas/bounds.ts';
import { errorResponses, jsonBody } from '../schemas/common.ts';

const RunnerTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ example: 'rt_ab12cd34' }),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi('RunnerToken');

type RunnerTokenRow = z.infer<typeof RunnerTokenSchema>;

const TokenParams = z.object({ id: Id.openapi({ param: { name: 'id', in: 'path' } }) });
const admin = { tags: ['Admin'], security: [{ admin: [] }] };

const createTokenRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/admin/runner-tokens',
  summary: 'Create a runner host’s token (shown once)',
  description:
    'A runner sends it as its Bearer token on /runner/v1/*, instead of the shared RUNNER_TOKEN. Revoking it shuts that host out at its next call; its leases then expire and their jobs go back to the queue.',
  request: { body: jsonBody(z.object({ name: z.string().min(1).max(100) })) },
  responses: {
    201: {
      description: 'The token, with its secret (shown only here)',
      content: { 'application/json': { schema: RunnerTokenSchema.extend({ token: z.string() }) } },
    },
    ...errorResponses(400, 401),
  },
});

const listTokensRoute = createRoute({
  ...admin,
  method: 'get',
  path: '/admin/runner-tokens',
  summary: 'List runner tokens (never their secrets)',
  responses: {
    200: {
      description: 'Runner tokens',
      content: {
        'application/json': { schema: z.object({ data: z.array(RunnerTokenSchema) }) },
      },
    },
    ...errorResponses(401),
  },
});

const revokeTokenRoute = createRoute({
  ...admin,
  method: 'post',
  path: '/admin/runner-tokens/{id}/revoke',
  summary: 'Revoke a runner token (at once; it cannot be undone)',
  request: { params: TokenParams },
  responses: {
    200: {
      description: 'The token',
      content: { 'application/json': { schema: RunnerTokenSchema } },
    },
    ...errorResponses(401, 404),
  },
});

const COLUMNS = 'id, name, prefix, created_at, revoked_at';

async function tokenRow(c: Context<AppEnv>, id: string): Promise<RunnerTokenRow> {
  const row = await c.env.DB.prepare(`SELECT ${COLUMNS} FROM runner_tokens WHERE id = ?`)
    .bind(id)
    .first<RunnerTokenRow>();
  if (!row) throw new ApiError('not_found', `No runner token ${id}.`);
  return row;
}

export function registerRunnerTokenRoutes(app: App) {
  app.openapi(createTokenRoute, async (c) => {
    const token = `${RUNNER_TOKEN_PREFIX}${randomToken(40)}`;
    const row: RunnerTokenRow = {
      id: newId('rtok'),
      name: c.req.valid('json').name,
      prefix: token.slice(0, 11),
      created_at: new Date().toISOString(),
      revoked_at: null,
    };
    await c.env.DB.prepare(
      'INSERT INTO runner_tokens (id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)',
    )
      .bind(row.id, row.name, row.prefix, await sha256Hex(token), row.created_at)
      .run();
    return c.json({ ...row, token }, 201);
  });

  app.openapi(listTokensRoute, async (c) => {
    const rows = await c.env.DB.prepare(
      `SELECT ${COLUMNS} FROM runner_tokens ORDER BY created_at`,
    ).all<RunnerTokenRow>();
    return c.json({ data: rows.results });
  });

  app.openapi(revokeTokenRoute, async (c) => {
    const { id } = c.req.valid('param');
    await tokenRow(c, id);
    await c.env.DB.prepare(
      'UPDATE runner_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?',
    )
      .bind(new Date().toISOString(), id)
      .run();
    return c.json(await tokenRow(c, id), 200);
  });
}
