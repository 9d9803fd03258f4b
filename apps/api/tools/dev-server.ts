/**
 * Starts the API under `wrangler dev` (workerd, local D1/DO/R2) for end-to-end tests and
 * benchmarks: a fresh state folder, the D1 migrations applied, a free port, ready when /health
 * answers. Uses the wrangler pinned for Node 20 (`wrangler-node20`, 4.86).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const wrangler = createRequire(import.meta.url).resolve('wrangler-node20/bin/wrangler.js');
const quiet = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  NO_UPDATE_NOTIFIER: '1',
  FORCE_COLOR: '0',
};

export interface DevServer {
  url: string;
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now (for test servers). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export async function startDevServer(
  options: { config?: string; migrate?: boolean; timeoutMs?: number } = {},
): Promise<DevServer> {
  const config = options.config ?? join(root, 'wrangler.toml');
  const state = mkdtempSync(join(tmpdir(), 'sdedge-wrangler-'));
  if (options.migrate ?? true) {
    const migrate = spawnSync(
      process.execPath,
      [
        wrangler,
        'd1',
        'migrations',
        'apply',
        'sdedge',
        '--local',
        '--config',
        config,
        '--persist-to',
        state,
      ],
      {
        env: quiet,
        encoding: 'utf8',
      },
    );
    if (migrate.status !== 0)
      throw new Error(`wrangler d1 migrations apply failed:\n${migrate.stdout}${migrate.stderr}`);
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      wrangler,
      'dev',
      '--config',
      config,
      '--persist-to',
      state,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--log-level',
      'warn',
      '--show-interactive-dev-session=false',
      // Local development: webhooks to a receiver on this machine are allowed; no DNS lookups
      // leave the machine.
      '--var',
      'WEBHOOK_ALLOW_LOOPBACK:true',
      '--var',
      'WEBHOOK_DNS_RESOLVER:',
    ],
    { env: quiet, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(state, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, stop };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not start:\n${output}`);
}
