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

export interface DevServerOptions {
  config?: string;
  migrate?: boolean;
  timeoutMs?: number;
  /** Vars on top of the dev defaults below. */
  vars?: Record<string, string>;
  /**
   * false: no DevTools inspector. `wrangler dev` always starts one, and it relays every
   * subrequest (each D1 query, each Durable Object call) as DevTools events, which costs CPU
   * that production never pays; benchmarks turn it off. Started through wrangler's
   * unstable_startWorker in this process instead of the CLI.
   */
  inspector?: boolean;
}

/** Local development: webhooks to a receiver on this machine are allowed; no DNS lookups leave it. */
const DEV_VARS = { WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_DNS_RESOLVER: '' };

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const config = options.config ?? join(root, 'wrangler.toml');
  const state = mkdtempSync(join(tmpdir(), 'sdedge-wrangler-'));
  const vars: Record<string, string> = { ...DEV_VARS, ...options.vars };
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
  if (options.inspector === false) return startWithoutInspector(config, state, port, vars);
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
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
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

async function startWithoutInspector(
  config: string,
  state: string,
  port: number,
  vars: Record<string, string>,
): Promise<DevServer> {
  const { unstable_startWorker } = createRequire(import.meta.url)(
    'wrangler-node20',
  ) as typeof import('wrangler-node20');
  const worker = await unstable_startWorker({
    config,
    bindings: Object.fromEntries(
      Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text', value }]),
    ),
    dev: {
      inspector: false,
      persist: state,
      server: { hostname: '127.0.0.1', port },
      logLevel: 'warn',
    },
  });
  await worker.ready;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await worker.dispose();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
