import { describe, expect, it } from 'vitest';
import { app } from '../src/index.ts';

describe('GET /health', () => {
  it('answers ok', async () => {
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, service: 'sdedge-api' });
  });

  it('answers 404 for unknown paths', async () => {
    expect((await app.request('/nope')).status).toBe(404);
  });
});
