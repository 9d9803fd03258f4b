import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.ts';
import { ApiError } from '../../errors.ts';
import { safeEqual, sha256Hex } from '../../hashing.ts';
import {
  type BrowserToken,
  isBrowserToken,
  verifyBrowserToken,
} from '../../jobs/browser-tokens.ts';
import { cachedKey, cacheKey, type KeyRow } from './key-cache.ts';

export const SCOPES = ['images', 'videos', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  rateLimitPerMinute: number;
  /** Set when the caller holds a browser token of this key rather than the key itself. */
  token?: { id: string; maxJobs: number };
}

export interface ApiKeyAuthOptions {
  /** Where the keys are; D1 in production and tests. */
  db: (c: Parameters<MiddlewareHandler>[0]) => D1Database;
  /** The secret browser tokens are signed with. */
  signingSecret: (c: Parameters<MiddlewareHandler>[0]) => string;
}

export const bearer = (header: string | undefined) => header?.match(/^Bearer\s+(\S+)$/i)?.[1];

/**
 * `Authorization: Bearer sk_live_...`: looks the key up by its SHA-256 (keys are never stored)
 * and sets `c.get('apiKey')`. 401 for a missing, unknown or revoked key. A browser token
 * (`st_...`, from POST /v1/tokens) stands for its key with the token's scopes, until it expires.
 *
 * @example app.use('/v1/*', apiKeyAuth({ db: (c) => c.env.DB }))
 */
export function apiKeyAuth(
  options: ApiKeyAuthOptions,
): MiddlewareHandler<{ Variables: { apiKey: ApiKeyRecord } }> {
  return async (c, next) => {
    const key = bearer(c.req.header('Authorization'));
    if (!key)
      throw new ApiError('unauthorized', 'Send your API key as "Authorization: Bearer <key>".');
    let token: BrowserToken | null = null;
    if (isBrowserToken(key)) {
      const verdict = await verifyBrowserToken(options.signingSecret(c), key);
      if (verdict === 'expired')
        throw new ApiError('unauthorized', 'This token has expired; mint a new one.');
      if (verdict === 'invalid') throw new ApiError('unauthorized', 'This token is not valid.');
      token = verdict;
    }
    const lookup = token ? `id:${token.keyId}` : `hash:${await sha256Hex(key)}`;
    let row = cachedKey(lookup) ?? null;
    if (!row) {
      row = await options
        .db(c)
        .prepare(
          `SELECT id, name, prefix, scopes, rate_limit_per_minute, revoked_at FROM api_keys WHERE ${token ? 'id' : 'hash'} = ?`,
        )
        .bind(lookup.slice(lookup.indexOf(':') + 1))
        .first<KeyRow>();
      if (row) cacheKey(lookup, row);
    }
    if (!row) throw new ApiError('unauthorized', 'This API key is not valid.');
    if (row.revoked_at) throw new ApiError('unauthorized', 'This API key was revoked.');
    const scopes: Scope[] = JSON.parse(row.scopes);
    c.set('apiKey', {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      // A token never has more than its key has now.
      scopes: token ? scopes.filter((s) => token.scopes.includes(s)) : scopes,
      rateLimitPerMinute: row.rate_limit_per_minute,
      ...(token ? { token: { id: token.tokenId, maxJobs: token.maxJobs } } : {}),
    });
    await next();
  };
}

/** 403 unless the key has the scope. */
export function requireScope(key: ApiKeyRecord, scope: Scope) {
  if (!key.scopes.includes(scope))
    throw new ApiError('forbidden', `This API key lacks the "${scope}" scope.`, { scope });
}

/**
 * The same check as route middleware: it runs before the route's body and query validators, so a
 * key without the scope hears 403 whatever it sent (not a 400 that tells it about the body).
 */
export function scopeRequired(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    requireScope(c.get('apiKey'), scope);
    await next();
  };
}

export interface TokenAuthOptions {
  token: (c: Parameters<MiddlewareHandler>[0]) => string;
  realm: string;
}

/**
 * A shared bearer token (admin, runners), compared in constant time.
 *
 * @example app.use('/admin/*', tokenAuth({ token: (c) => c.env.ADMIN_TOKEN, realm: 'admin' }))
 */
export function tokenAuth(options: TokenAuthOptions): MiddlewareHandler {
  return async (c, next) => {
    const given = bearer(c.req.header('Authorization'));
    if (!given)
      throw new ApiError(
        'unauthorized',
        `Send the ${options.realm} token as "Authorization: Bearer <token>".`,
      );
    const expected = options.token(c);
    // wrangler.toml's [vars] carry dev-... tokens for local work; a deployed worker whose secret
    // was never set must not accept them.
    if (expected.startsWith('dev-') && !isLocalHost(new URL(c.req.url).hostname))
      throw new ApiError(
        'unauthorized',
        `The ${options.realm} token is the development default; set a secret (wrangler secret put).`,
      );
    if (!expected || !safeEqual(given, expected))
      throw new ApiError('unauthorized', `Wrong ${options.realm} token.`);
    await next();
  };
}

/** Hosts that only a developer's own machine serves (and tests' reserved .test names). */
export function isLocalHost(hostname: string): boolean {
  return (
    ['localhost', '127.0.0.1', '[::1]'].includes(hostname) || /\.(test|localhost)$/.test(hostname)
  );
}
