// Builds the worker's static assets (apps/api/public, served before the worker; see
// wrangler.toml): Swagger UI's browser files from the pinned swagger-ui-dist, so /docs renders
// with no CDN, and the playground: its page and the SDK's browser build (esbuild, one ESM file).
// Run by `npm run build` (npm ci, npm test).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const publicDir = join(here, '../public');
const require = createRequire(import.meta.url);

const swagger = dirname(require.resolve('swagger-ui-dist/package.json'));
const docs = join(publicDir, 'docs/assets/swagger-ui-dist');
mkdirSync(docs, { recursive: true });
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'])
  copyFileSync(join(swagger, file), join(docs, file));

const playground = join(publicDir, 'playground');
mkdirSync(playground, { recursive: true });
for (const file of readdirSync(join(here, '../playground')))
  copyFileSync(join(here, '../playground', file), join(playground, file));
await build({
  entryPoints: [require.resolve('@sdedge/sdk')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  outfile: join(playground, 'sdk.js'),
  logLevel: 'warning',
});
console.log(`built the static assets in ${publicDir}`);
