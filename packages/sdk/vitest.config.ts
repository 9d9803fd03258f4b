import { existsSync } from 'node:fs';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

// The SDK's own tests run in the three places it promises to work: Node, workerd (the Workers
// runtime) and a real headless browser (Debian's chromium, driven by Playwright). The browser
// project is left out, with a message, where no chromium is installed.
const chromium = process.env.SDEDGE_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromium);
if (!hasChromium) {
  console.warn(`[sdk] ${chromium} is missing: the browser run of the SDK's tests is skipped`);
}

const include = ['test/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    projects: [
      { test: { name: 'node', include } },
      {
        plugins: [
          cloudflareTest({
            // No main module: the tests import the SDK; nodejs_compat is what vitest itself needs
            // inside workerd, the SDK uses only Web APIs (the browser run proves it).
            miniflare: { compatibilityDate: '2025-09-01', compatibilityFlags: ['nodejs_compat'] },
          }),
        ],
        test: { name: 'workerd', include },
      },
      ...(hasChromium
        ? [
            {
              test: {
                name: 'browser',
                include,
                browser: {
                  enabled: true,
                  headless: true,
                  provider: playwright({ launchOptions: { executablePath: chromium } }),
                  instances: [{ browser: 'chromium' as const }],
                },
              },
            },
          ]
        : []),
    ],
  },
});
