import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../src/config.ts';

describe('readConfig', () => {
  it('has the documented defaults', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      apiUrl: 'http://127.0.0.1:8787',
      runnerToken: 'dev-runner-token',
      modelsDir: null,
      executionProviders: ['cuda', 'cpu'],
      port: 9464,
      concurrency: 1,
      graceSeconds: 30,
    });
    expect(config.runnerId).toMatch(/-\d+$/);
  });

  it('reads every variable', () => {
    expect(
      readConfig({
        SDEDGE_API_URL: 'https://api.example.com/',
        SDEDGE_RUNNER_TOKEN: 'secret',
        SDEDGE_MODELS_DIR: '/models',
        SDEDGE_EXECUTION_PROVIDERS: 'webgpu, cpu',
        SDEDGE_RUNNER_PORT: '0',
        SDEDGE_RUNNER_ID: 'gpu-3',
        SDEDGE_CONCURRENCY: '2',
        SDEDGE_GRACE_SECONDS: '5',
      }),
    ).toMatchObject({
      apiUrl: 'https://api.example.com',
      runnerToken: 'secret',
      modelsDir: '/models',
      executionProviders: ['webgpu', 'cpu'],
      port: 0,
      runnerId: 'gpu-3',
      concurrency: 2,
      graceSeconds: 5,
    });
  });

  it.each([
    ['SDEDGE_API_URL', 'not a url'],
    ['SDEDGE_API_URL', 'ftp://example.com'],
    ['SDEDGE_RUNNER_TOKEN', ' '],
    ['SDEDGE_EXECUTION_PROVIDERS', 'cuda,tpu'],
    ['SDEDGE_EXECUTION_PROVIDERS', ','],
    ['SDEDGE_RUNNER_PORT', '70000'],
    ['SDEDGE_RUNNER_PORT', '80a'],
    ['SDEDGE_CONCURRENCY', '0'],
    ['SDEDGE_CONCURRENCY', '1.5'],
    ['SDEDGE_GRACE_SECONDS', '-1'],
    ['SDEDGE_RUNNER_ID', 'x'.repeat(101)],
  ])('stops on a bad %s (%j), naming it', (variable, value) => {
    const read = () => readConfig({ [variable]: value });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(new RegExp(`^${variable}: `));
  });

  it('accepts the development token only for a local API', () => {
    expect(() => readConfig({ SDEDGE_API_URL: 'https://api.sdedge.dev' })).toThrow(
      /SDEDGE_RUNNER_TOKEN: the development token/,
    );
    expect(readConfig({ SDEDGE_API_URL: 'http://localhost:8787' }).runnerToken).toBe(
      'dev-runner-token',
    );
  });
});

describe('SDEDGE_PRELOAD', () => {
  it('refuses more models than SDEDGE_MAX_LOADED_MODELS keeps, instead of dropping some', () => {
    expect(() => readConfig({ SDEDGE_PRELOAD: 'a,b,c', SDEDGE_MAX_LOADED_MODELS: '2' })).toThrow(
      /^SDEDGE_PRELOAD: names 3 models/,
    );
    expect(readConfig({ SDEDGE_PRELOAD: 'a,b' }).preload).toEqual(['a', 'b']);
  });
});
