import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { newTokenId, signBrowserToken } from '../jobs/browser-tokens.ts';
import { SCOPES } from '../middleware/auth/index.ts';
import { errorResponses, jsonBody } from '../schemas/common.ts';

const TokenRequest = z
  .object({
    scopes: z
      .array(z.enum(SCOPES))
      .min(1)
      .optional()
      .openapi({ description: "Default: the key's scopes. Never more than the key has." }),
    max_jobs: z
      .int()
      .min(1)
      .max(100)
      .default(5)
      .openapi({ description: 'Jobs the token may create.' }),
    expires_in: z
      .int()
      .min(60)
      .max(86400)
      .default(900)
      .openapi({ description: 'Seconds it lives.' }),
  })
  .openapi('TokenRequest');

const TokenSchema = z
  .object({
    object: z.literal('token'),
    token: z.string().openapi({ description: 'Send it as "Authorization: Bearer st_..."' }),
    scopes: z.array(z.enum(SCOPES)),
    max_jobs: z.int(),
    expires_at: z.string(),
  })
  .openapi('Token');

const tokenRoute = createRoute({
  method: 'post',
  path: '/v1/tokens',
  tags: ['Account'],
  summary: 'Mint a short-lived token for a browser',
  description:
    'With a secret key only (a token cannot mint tokens). The token acts for the key, limited to its scopes, jobs and lifetime; it shares the key’s credits and rate limit. Used up or expired: 401.',
  security: [{ bearer: [] }],
  request: { body: jsonBody(TokenRequest) },
  responses: {
    201: { description: 'The token', content: { 'application/json': { schema: TokenSchema } } },
    ...errorResponses(400, 401, 403, 429),
  },
});

export function registerTokenRoutes(app: App) {
  app.openapi(tokenRoute, async (c) => {
    const key = c.get('apiKey');
    if (key.token)
      throw new ApiError('forbidden', 'A token cannot mint tokens; use the secret key.');
    const body = c.req.valid('json');
    const scopes = body.scopes ?? key.scopes;
    const missing = scopes.filter((s) => !key.scopes.includes(s));
    if (missing.length > 0)
      throw new ApiError('forbidden', `This key lacks the scopes ${missing.join(', ')}.`, {
        param: 'scopes',
      });
    const expiresAt = Math.floor(Date.now() / 1000) + body.expires_in;
    const token = await signBrowserToken(c.env.SIGNING_SECRET, {
      keyId: key.id,
      tokenId: newTokenId(),
      expiresAt,
      maxJobs: body.max_jobs,
      scopes,
    });
    return c.json(
      {
        object: 'token' as const,
        token,
        scopes,
        max_jobs: body.max_jobs,
        expires_at: new Date(expiresAt * 1000).toISOString(),
      },
      201,
    );
  });
}
