/**
 * Writes src/generated/api.ts: the API's OpenAPI document (as served by the worker under
 * `wrangler dev`) turned into TypeScript by openapi-typescript.
 *   npm run generate -w @sdedge/sdk
 * tests/sdk-types.test.ts fails when the committed file differs from what the API serves.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '@sdedge/api/dev-server';
import { renderApiTypes } from './render-api-types.ts';

const server = await startDevServer();
try {
  const document = await (await fetch(`${server.url}/openapi.json`)).json();
  const target = fileURLToPath(new URL('../src/generated/api.ts', import.meta.url));
  await writeFile(target, await renderApiTypes(document));
  console.log(`wrote ${target}`);
} finally {
  await server.stop();
}
