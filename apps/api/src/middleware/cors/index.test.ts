import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createKey } from '../../../test/helpers.ts';

const BASE = 'https://api.sdedge.test';

describe('CORS on the public API', () => {
  it('answers a preflight before authentication', async () => {
    const res = await SELF.fetch(`${BASE}/v1/images/txt2img`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, content-type, idempotency-key',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'idempotency-key',
    );
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('lets a browser read answers and the headers the SDK needs, errors included', async () => {
    const key = await createKey();
    const ok = await SELF.fetch(`${BASE}/v1/models`, {
      headers: { Origin: 'https://app.example.com', Authorization: `Bearer ${key.key}` },
    });
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    expect(ok.headers.get('access-control-expose-headers')).toContain('Retry-After');
    const denied = await SELF.fetch(`${BASE}/v1/models`, {
      headers: { Origin: 'https://app.example.com' },
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('leaves the runner and admin routes without CORS', async () => {
    const res = await SELF.fetch(`${BASE}/runner/v1/lease`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
