import { createServer, type Server } from 'node:http';
import type { Runner } from './runner.ts';

/**
 * `/healthz`: 200 with the runner's status once its models are loaded and warmed (503 before,
 * and while draining); `/metrics`: Prometheus text.
 */
export function startHealthServer(runner: Runner, port: number): Promise<Server> {
  const server = createServer(async (request, response) => {
    try {
      const path = new URL(request.url ?? '/', 'http://runner').pathname;
      if (request.method !== 'GET') {
        response.writeHead(405, { allow: 'GET' }).end();
      } else if (path === '/healthz') {
        const status = await runner.status();
        const healthy = status.ready && !status.draining;
        response
          .writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' })
          .end(`${JSON.stringify(status, null, 2)}\n`);
      } else if (path === '/metrics') {
        const registry = runner.metrics.registry;
        const text = await registry.metrics();
        response.writeHead(200, { 'content-type': registry.contentType }).end(text);
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (error) {
      response
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`${(error as Error).message}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}
