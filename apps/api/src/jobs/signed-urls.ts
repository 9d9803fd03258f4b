import { hmacSha256, safeEqual, toHex } from '../hashing.ts';

/** Signed, expiring links to outputs: HMAC-SHA256 of `path:expires` under the server secret. */
export async function signOutputPath(
  secret: string,
  path: string,
  expires: number,
): Promise<string> {
  return toHex(await hmacSha256(secret, `output:${path}:${expires}`));
}

export async function verifyOutputSignature(
  secret: string,
  path: string,
  expires: string | undefined,
  signature: string | undefined,
  now = Date.now(),
): Promise<'valid' | 'expired' | 'invalid'> {
  if (!expires || !signature || !/^\d+$/.test(expires)) return 'invalid';
  const expected = await signOutputPath(secret, path, Number(expires));
  if (!safeEqual(expected, signature)) return 'invalid';
  return Number(expires) * 1000 < now ? 'expired' : 'valid';
}
