import { Hono } from 'hono';

/** The baseline for bench/api.ts: Hono on the same workerd, answering JSON with no work. */
const app = new Hono();
app.get('/v1/jobs/:id', (c) => c.json({ id: c.req.param('id'), status: 'queued' }));
app.post('/v1/images/txt2img', async (c) =>
  c.json({ id: 'job_bare', status: 'queued', input: await c.req.json() }, 202),
);
app.get('/health', (c) => c.json({ ok: true }));
export default app;
