import { describe, expect, it } from 'vitest';
import { signBrowserToken } from '../src/jobs/browser-tokens.ts';
import { api, createKey, testEnv, txt2img } from './helpers.ts';

const mint = async (key: Parameters<typeof api>[0], body: Record<string, unknown> = {}) =>
  api(key, '/v1/tokens', { body });

describe('browser tokens (POST /v1/tokens)', () => {
  it('mints a token that acts for the key, up to its job allowance; then 401', async () => {
    const key = await createKey({ credits: 100 });
    const res = await mint(key, { max_jobs: 2, expires_in: 600 });
    expect(res.status).toBe(201);
    const minted = (await res.json()) as { token: string; max_jobs: number; scopes: string[] };
    expect(minted).toMatchObject({ max_jobs: 2, scopes: ['images', 'videos', 'read'] });
    expect(minted.token).toMatch(/^st_/);
    for (let i = 0; i < 2; i++)
      expect(
        (await api(minted.token, '/v1/images/txt2img', { body: { prompt: 'x' } })).status,
      ).toBe(202);
    const third = await api(minted.token, '/v1/images/txt2img', { body: { prompt: 'x' } });
    expect(third.status).toBe(401);
    expect(await third.json()).toMatchObject({
      error: { code: 'unauthorized', message: expect.stringMatching(/made its 2 jobs/) },
    });
    // Reads still work, and the jobs are the key's.
    expect((await api(minted.token, '/v1/jobs')).status).toBe(200);
    expect((await txt2img(key)).status).toBe(202);
  });

  it('refuses an expired, tampered or revoked-key token with 401', async () => {
    const key = await createKey();
    const expired = await signBrowserToken(testEnv.SIGNING_SECRET, {
      keyId: key.id,
      tokenId: 'tok_old',
      expiresAt: Math.floor(Date.now() / 1000) - 1,
      maxJobs: 5,
      scopes: ['images'],
    });
    const late = await api(expired, '/v1/models');
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({
      error: { message: expect.stringMatching(/expired/) },
    });
    const { token } = (await (await mint(key)).json()) as { token: string };
    const [payload, signature] = token.slice(3).split('.');
    const forged = `st_${btoa(atob((payload ?? '').replace(/-/g, '+').replace(/_/g, '/')).replace('"m":5', '"m":99')).replace(/=+$/, '')}.${signature}`;
    expect((await api(forged, '/v1/models')).status).toBe(401);
    expect((await api(`${token}0`, '/v1/models')).status).toBe(401);
    expect((await api(token, '/v1/models')).status).toBe(200);
    await api('dev-admin-token', `/admin/keys/${key.id}/revoke`, { body: {} });
    expect((await api(token, '/v1/models')).status).toBe(401);
  });

  it('limits scopes: never more than the key has, and a token cannot mint tokens', async () => {
    const key = await createKey({ scopes: ['images', 'read'] });
    expect((await mint(key, { scopes: ['videos'] })).status).toBe(403);
    const { token } = (await (await mint(key, { scopes: ['read'] })).json()) as { token: string };
    expect((await api(token, '/v1/images/txt2img', { body: { prompt: 'x' } })).status).toBe(403);
    expect((await api(token, '/v1/models')).status).toBe(200);
    expect((await mint(token)).status).toBe(403);
    for (const bad of [
      { max_jobs: 0 },
      { max_jobs: 101 },
      { expires_in: 10 },
      { scopes: ['admin'] },
    ])
      expect((await mint(key, bad)).status).toBe(400);
  });
});
