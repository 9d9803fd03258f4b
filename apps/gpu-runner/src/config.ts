import { hostname } from 'node:os';

/** The runner's settings, from the environment (see the README's table). */
export interface RunnerConfig {
  apiUrl: string;
  runnerToken: string;
  modelsDir: string | null;
  executionProviders: string[];
  port: number;
  runnerId: string;
  concurrency: number;
  graceSeconds: number;
  leaseSeconds: number;
  pollSeconds: number;
  /** Loaded pipelines kept in memory at once (least recently used ones are disposed). */
  maxLoadedModels: number;
  /** Models loaded and warmed up at start (comma list; default: every model served). */
  preload: string[] | null;
  /** Steps between two previews (0: none). */
  previewEvery: number;
}

/** A bad variable: the runner stops at start with this message, naming it. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const PROVIDERS = ['cuda', 'webgpu', 'cpu'];
const DEV_RUNNER_TOKEN = 'dev-runner-token';

type Env = Record<string, string | undefined>;

export function readConfig(env: Env = process.env): RunnerConfig {
  const apiUrl = readUrl(env, 'SDEDGE_API_URL', 'http://127.0.0.1:8787');
  const runnerToken = env.SDEDGE_RUNNER_TOKEN ?? DEV_RUNNER_TOKEN;
  if (runnerToken.trim() === '') throw new ConfigError('SDEDGE_RUNNER_TOKEN', 'is empty.');
  if (runnerToken === DEV_RUNNER_TOKEN && !isLocal(new URL(apiUrl)))
    throw new ConfigError(
      'SDEDGE_RUNNER_TOKEN',
      `the development token is accepted only for local API URLs, not ${apiUrl}; set the deployment's runner token.`,
    );
  const maxLoadedModels = readInt(env, 'SDEDGE_MAX_LOADED_MODELS', 2, 1, 64);
  const preload = readList(env, 'SDEDGE_PRELOAD');
  if (preload && preload.length > maxLoadedModels)
    throw new ConfigError(
      'SDEDGE_PRELOAD',
      `names ${preload.length} models but SDEDGE_MAX_LOADED_MODELS keeps ${maxLoadedModels} loaded.`,
    );
  return {
    apiUrl,
    runnerToken,
    modelsDir: env.SDEDGE_MODELS_DIR?.trim() || null,
    executionProviders: readProviders(env),
    port: readInt(env, 'SDEDGE_RUNNER_PORT', 9464, 0, 65535),
    runnerId: readRunnerId(env),
    concurrency: readInt(env, 'SDEDGE_CONCURRENCY', 1, 1, 8),
    graceSeconds: readInt(env, 'SDEDGE_GRACE_SECONDS', 30, 0, 3600),
    leaseSeconds: readInt(env, 'SDEDGE_LEASE_SECONDS', 60, 2, 600),
    pollSeconds: readInt(env, 'SDEDGE_POLL_SECONDS', 20, 0, 30),
    maxLoadedModels,
    preload,
    previewEvery: readInt(env, 'SDEDGE_PREVIEW_EVERY', 5, 0, 1000),
  };
}

function readUrl(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim() || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `${JSON.stringify(raw)} is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(name, `must be an http(s) URL, not ${JSON.stringify(raw)}.`);
  return raw.replace(/\/+$/, '');
}

function isLocal(url: URL): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new ConfigError(
      name,
      `must be a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}.`,
    );
  return value;
}

function readList(env: Env, name: string): string[] | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function readProviders(env: Env): string[] {
  const list = readList(env, 'SDEDGE_EXECUTION_PROVIDERS') ?? ['cuda', 'cpu'];
  const unknown = list.filter((p) => !PROVIDERS.includes(p));
  if (list.length === 0 || unknown.length > 0)
    throw new ConfigError(
      'SDEDGE_EXECUTION_PROVIDERS',
      `must be a comma list of ${PROVIDERS.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}.`,
    );
  return list;
}

function readRunnerId(env: Env): string {
  const id = env.SDEDGE_RUNNER_ID?.trim() || `${hostname()}-${process.pid}`;
  if (id.length > 100) throw new ConfigError('SDEDGE_RUNNER_ID', 'must be at most 100 characters.');
  return id;
}
