import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@sdedge/api/dev-server';
import { REPO_ROOT } from './helpers.ts';

/** A real `sdedge-runner` process (the compiled bin, plain node) against an API URL. */
export interface RunnerProcess {
  child: ChildProcess;
  healthUrl: string;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  health(): Promise<{ status: number; body: RunnerHealth }>;
  metrics(): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface RunnerHealth {
  runner_id: string;
  ready: boolean;
  draining: boolean;
  execution_providers: { requested: string[]; warning: string | null };
  models: { name: string; loaded: boolean; providers?: Record<string, string> }[];
  jobs_in_flight: { id: string }[];
}

export async function startRunner(
  apiUrl: string,
  env: Record<string, string> = {},
  options: { waitReady?: boolean } = {},
): Promise<RunnerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'apps/gpu-runner/bin/sdedge-runner.mjs')],
    {
      env: {
        ...process.env,
        SDEDGE_API_URL: apiUrl,
        SDEDGE_RUNNER_PORT: String(port),
        SDEDGE_EXECUTION_PROVIDERS: 'cpu',
        SDEDGE_POLL_SECONDS: '2',
        SDEDGE_LEASE_SECONDS: '5',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const healthUrl = `http://127.0.0.1:${port}`;
  const runner: RunnerProcess = {
    child,
    healthUrl,
    output: () => output,
    exited,
    async health() {
      const res = await fetch(`${healthUrl}/healthz`);
      return { status: res.status, body: (await res.json()) as RunnerHealth };
    },
    async metrics() {
      return (await fetch(`${healthUrl}/metrics`)).text();
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady ?? true) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`the runner exited ${child.exitCode}:\n${output}`);
      try {
        if ((await runner.health()).status === 200) break;
      } catch {}
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the runner did not get ready:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return runner;
}

/**
 * Makes an API key through the admin route of the API at `apiUrl` (the dev admin token), with
 * a high rate limit so tests that poll are not throttled unless they ask to be.
 */
export async function createApiKey(
  apiUrl: string,
  body: Record<string, unknown> = {},
): Promise<{ id: string; key: string; webhook_secret: string }> {
  const res = await fetch(`${apiUrl}/admin/keys`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'e2e', credits: 1000, rate_limit_per_minute: 100_000, ...body }),
  });
  if (res.status !== 201)
    throw new Error(`creating a key failed: ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ id: string; key: string; webhook_secret: string }>;
}

/** Polls `read` until `done` holds (or throws after `ms`, with the last value). */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
