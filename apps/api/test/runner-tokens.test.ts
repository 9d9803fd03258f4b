import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { admin, BASE, runnerCall } from './helpers.ts';

const leaseWith = (token: string) =>
  SELF.fetch(`${BASE}/runner/v1/lease`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ runner_id: 'host-a', models: ['sdedge-micro'], wait_seconds: 0 }),
  });

const errorCode = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

describe('per-runner tokens', () => {
  it('a runner host gets its own token, shown once, that works until it is revoked', async () => {
    const created = await admin('/admin/runner-tokens', { body: { name: 'gpu-host-a' } });
    expect(created.status).toBe(201);
    const token = (await created.json()) as { id: string; token: string; prefix: string };
    expect(token.token).toMatch(/^rt_[0-9A-Za-z]{40}$/);
    expect(token.prefix).toBe(token.token.slice(0, 11));
    expect((await leaseWith(token.token)).status).toBe(200);

    const list = await (await admin('/admin/runner-tokens')).text();
    expect(list).toContain(token.id);
    expect(list).not.toContain(token.token);

    const revoked = await admin(`/admin/runner-tokens/${token.id}/revoke`, { body: {} });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revoked_at: string | null }).revoked_at).not.toBeNull();
    const refused = await leaseWith(token.token);
    expect(refused.status).toBe(401);
    expect(await errorCode(refused)).toMatchObject({ code: 'unauthorized', message: /revoked/ });

    // Another host's token and the shared development token are unaffected.
    const other = (await (
      await admin('/admin/runner-tokens', { body: { name: 'gpu-host-b' } })
    ).json()) as { token: string };
    expect((await leaseWith(other.token)).status).toBe(200);
    expect(
      (await runnerCall('/lease', { runner_id: 'dev', models: ['x'], wait_seconds: 0 })).status,
    ).toBe(200);
  });

  it('refuses unknown and malformed runner tokens, and API keys', async () => {
    for (const bad of ['rt_unknownunknownunknown', 'rt_', 'sk_live_abc', 'dev-admin-token']) {
      const res = await leaseWith(bad);
      expect(res.status, bad).toBe(401);
    }
    expect((await admin('/admin/runner-tokens/rtok_nope/revoke', { body: {} })).status).toBe(404);
    expect((await admin('/admin/runner-tokens', { body: { name: '' } })).status).toBe(400);
  });

  it('only the admin token manages runner tokens', async () => {
    const res = await SELF.fetch(`${BASE}/admin/runner-tokens`, {
      method: 'POST',
      headers: { Authorization: 'Bearer dev-runner-token', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sneaky' }),
    });
    expect(res.status).toBe(401);
  });
});
