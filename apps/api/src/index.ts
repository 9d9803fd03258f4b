import { Hono } from 'hono';

/**
 * The sdedge edge API worker. For now it only answers health checks; keys, metering, jobs and
 * streaming are built on this app by the API issue.
 */
export const app = new Hono();

app.get('/health', (c) => c.json({ ok: true, service: 'sdedge-api' }));

export default app;
