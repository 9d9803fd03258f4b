import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE } from './helpers.ts';

describe('GET /openapi.json and /docs', () => {
  it('is an OpenAPI 3.1 document generated from the routes, listing every one', async () => {
    const res = await SELF.fetch(`${BASE}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'POST /v1/images/txt2img',
        'POST /v1/images/img2img',
        'POST /v1/images/inpaint',
        'POST /v1/videos/animate',
        'POST /v1/images/generations',
        'GET /v1/jobs',
        'GET /v1/jobs/{id}',
        'GET /v1/jobs/{id}/events',
        'POST /v1/jobs/{id}/cancel',
        'GET /v1/outputs/{job_id}/{name}',
        'GET /v1/usage',
        'GET /v1/models',
        'POST /v1/tokens',
        'POST /admin/keys',
        'GET /admin/keys',
        'PATCH /admin/keys/{id}',
        'POST /admin/keys/{id}/revoke',
        'POST /admin/keys/{id}/credits',
        'POST /admin/runner-tokens',
        'GET /admin/runner-tokens',
        'POST /admin/runner-tokens/{id}/revoke',
        'POST /runner/v1/lease',
        'POST /runner/v1/jobs/{id}/heartbeat',
        'POST /runner/v1/jobs/{id}/events',
        'PUT /runner/v1/jobs/{id}/outputs/{name}',
        'GET /runner/v1/jobs/{id}/inputs/{name}',
        'POST /runner/v1/jobs/{id}/complete',
        'POST /runner/v1/jobs/{id}/fail',
        'POST /runner/v1/jobs/{id}/release',
      ].sort(),
    );
    for (const name of [
      'Job',
      'JobList',
      'Error',
      'Txt2ImgRequest',
      'Img2ImgRequest',
      'InpaintRequest',
      'AnimateRequest',
      'Webhook',
    ])
      expect(doc.components.schemas, name).toHaveProperty(name);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'admin',
      'bearer',
      'runner',
    ]);
  });

  it('serves an interactive reference at /docs', async () => {
    const res = await SELF.fetch(`${BASE}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('SwaggerUIBundle');
    expect(html).toContain('/openapi.json');
  });
});
