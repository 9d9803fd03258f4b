import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { webhookReceiver } from './test/webhook-receiver.ts';

// Tests run inside workerd (the Workers runtime) with the bindings of the root wrangler.toml:
// real D1 (migrated by test/apply-migrations.ts), Durable Objects and R2. Outbound fetches
// (webhook deliveries) go to an in-process receiver that tests read back.
export default defineConfig(async () => {
  const migrations = await readD1Migrations(new URL('./migrations', import.meta.url).pathname);
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: '../../wrangler.toml' },
        miniflare: {
          // Webhook host names are resolved by the receiver's DNS-over-HTTPS stand-in.
          bindings: {
            TEST_MIGRATIONS: migrations,
            WEBHOOK_DNS_RESOLVER: 'https://dns.test/dns-query',
            // Low, so the signed-link limit test stays short.
            SIGNED_LINK_RATE_PER_MINUTE: '40',
          },
          outboundService: webhookReceiver,
        },
      }),
    ],
    test: { setupFiles: ['./test/apply-migrations.ts'], testTimeout: 30000 },
  };
});
