import { hmacSha256, newId, safeEqual, toHex } from '../hashing.ts';
import type { Scope } from '../middleware/auth/index.ts';

/**
 * Short-lived tokens a browser may hold instead of a secret key: `st_<payload>.<signature>`,
 * the payload naming the key, an expiry, the scopes and how many jobs the token may create,
 * signed with the server secret. Stateless to check; the job count is kept by the key's Account.
 */
export interface BrowserToken {
  keyId: string;
  tokenId: string;
  /** Unix seconds. */
  expiresAt: number;
  maxJobs: number;
  scopes: Scope[];
}

const PREFIX = 'st_';

export async function signBrowserToken(secret: string, token: BrowserToken): Promise<string> {
  const payload = base64url(
    JSON.stringify({
      k: token.keyId,
      t: token.tokenId,
      e: token.expiresAt,
      m: token.maxJobs,
      s: token.scopes,
    }),
  );
  return `${PREFIX}${payload}.${toHex(await hmacSha256(secret, `browser-token:${payload}`))}`;
}

export const isBrowserToken = (bearer: string) => bearer.startsWith(PREFIX);

/** The token's claims, or why it is refused ('invalid' or 'expired'). */
export async function verifyBrowserToken(
  secret: string,
  bearer: string,
  now = Date.now(),
): Promise<BrowserToken | 'invalid' | 'expired'> {
  const [payload, signature] = bearer.slice(PREFIX.length).split('.');
  if (!payload || !signature) return 'invalid';
  if (!safeEqual(toHex(await hmacSha256(secret, `browser-token:${payload}`)), signature))
    return 'invalid';
  let claims: { k: string; t: string; e: number; m: number; s: Scope[] };
  try {
    claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return 'invalid';
  }
  if (claims.e * 1000 <= now) return 'expired';
  return {
    keyId: claims.k,
    tokenId: claims.t,
    expiresAt: claims.e,
    maxJobs: claims.m,
    scopes: claims.s,
  };
}

export const newTokenId = () => newId('tok');

function base64url(text: string): string {
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
