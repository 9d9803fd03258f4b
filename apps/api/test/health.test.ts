import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

describe('GET /health (inside workerd)', () => {
  it('answers ok', async () => {
    const res = await SELF.fetch('https://api.sdedge.test/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, service: 'sdedge-api' });
  });

  it('answers 404 for unknown paths', async () => {
    expect((await SELF.fetch('https://api.sdedge.test/nope')).status).toBe(404);
  });

  it('runs in the Workers runtime, not Node', () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers');
  });
});
