// Copies Swagger UI's browser files (the pinned swagger-ui-dist) into the worker's static
// assets, so /docs renders with no CDN and no internet. Run by `npm run build` (npm ci, npm test).
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const target = join(
  dirname(fileURLToPath(import.meta.url)),
  '../public/docs/assets/swagger-ui-dist',
);
mkdirSync(target, { recursive: true });
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'])
  copyFileSync(join(source, file), join(target, file));
console.log(`copied Swagger UI to ${target}`);
