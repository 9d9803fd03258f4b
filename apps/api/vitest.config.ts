import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { webhookReceiver } from './test/webhook-receiver.ts';

// Tests run inside workerd (the Workers runtime) with the bindings of the root wrangler.toml:
// real D1 (migrated by test/apply-migrations.ts), Durable Objects and R2. Outbound fetches
// (webhook deliveries) go to an in-process receiver that tests read back. The "sharded" project
// runs the Dispatcher as 4 shards (DISPATCHER_SHARDS), the others as wrangler.toml has it (1).
export default defineConfig(async () => {
  const migrations = await readD1Migrations(new URL('./migrations', import.meta.url).pathname);
  const workers = (name: string, include: string[], exclude: string[], shards: string) => ({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: '../../wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Webhook host names are resolved by the receiver's DNS-over-HTTPS stand-in.
            WEBHOOK_DNS_RESOLVER: 'https://dns.test/dns-query',
            // Low, so the signed-link limit test stays short.
            SIGNED_LINK_RATE_PER_MINUTE: '40',
            DISPATCHER_SHARDS: shards,
          },
          outboundService: webhookReceiver,
        },
      }),
    ],
    test: {
      name,
      include,
      exclude,
      setupFiles: ['./test/apply-migrations.ts'],
      testTimeout: 30000,
    },
  });
  return {
    test: {
      projects: [
        workers('api', ['test/**/*.test.ts'], ['test/sharding.test.ts'], '1'),
        workers('sharded', ['test/sharding.test.ts'], [], '4'),
      ],
    },
  };
});
