import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevServer, startDevServer } from '@sdedge/api/dev-server';
import { decodeImage } from '@sdedge/pipeline/node';
import { analyzeScene } from '@sdedge/pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.ts';
import { createApiKey, type RunnerProcess, startRunner } from './runner-process.ts';

// `sdedge ... --api URL`: the same CLI, run by the API (under wrangler dev) and a real runner.
let server: DevServer;
let runner: RunnerProcess;
let key: string;
const work = mkdtempSync(join(tmpdir(), 'sdedge-cli-remote-'));
const vocabulary = JSON.parse(
  readFileSync(join(REPO_ROOT, 'packages/pipeline/models/sdedge-micro/sdedge_scenes.json'), 'utf8'),
);

beforeAll(async () => {
  server = await startDevServer();
  runner = await startRunner(server.url);
  key = (await createApiKey(server.url, { name: 'cli' })).key;
}, 120_000);
afterAll(async () => {
  await runner?.kill('SIGTERM');
  await server?.stop();
});

/** The CLI as a user runs it (async, so this process keeps serving nothing it must answer). */
function sdedge(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('npx', ['--no-install', 'sdedge', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, SDEDGE_API_KEY: key, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('sdedge CLI, remote mode', () => {
  it('txt2img --api URL: the API draws it, with a progress bar', async () => {
    const out = join(work, 'remote.png');
    const { status, stdout, stderr } = await sdedge([
      'txt2img',
      'a red square in the bottom right on a white background',
      '--api',
      server.url,
      '--seed',
      '3',
      '--steps',
      '12',
      '-o',
      out,
    ]);
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/wrote .*remote\.png \(seed 3, 64x64\)/);
    expect(stdout).toMatch(new RegExp(`job job_\\w+ on ${server.url}`));
    expect(stderr).toMatch(/\[#{20}\] step 12\/12/);
    expect(analyzeScene(decodeImage(new Uint8Array(readFileSync(out))), vocabulary)).toMatchObject({
      color: 'red',
      position: 'bottom right',
    });
  });

  it('animate and img2img through SDEDGE_API_URL', async () => {
    const settings = join(work, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({ max_frames: 3, W: 64, H: 64, steps: 2, prompts: { 0: 'a blue circle' } }),
    );
    const animated = await sdedge(['animate', settings, '-o', join(work, 'clip')], {
      SDEDGE_API_URL: server.url,
    });
    expect(animated.status, animated.stderr).toBe(0);
    expect(
      readFileSync(join(work, 'clip', 'video.mp4'))
        .subarray(4, 8)
        .toString(),
    ).toBe('ftyp');
    const varied = await sdedge(
      [
        'img2img',
        'a red square',
        '--image',
        join(work, 'remote.png'),
        '--strength',
        '0.5',
        '-o',
        join(work, 'varied.png'),
      ],
      {
        SDEDGE_API_URL: server.url,
      },
    );
    expect(varied.status, varied.stderr).toBe(0);
  });

  it('answers what the API refuses, and local-only flags, with an error code', async () => {
    const bad = await sdedge(['txt2img', 'x', '--api', server.url, '--steps', '1000']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/error \[remote_error\]: 400 invalid_request/);
    const local = await sdedge(['txt2img', 'x', '--api', server.url, '--clip-skip', '2']);
    expect(local.stderr).toMatch(/--clip-skip only work locally/);
    const noKey = await sdedge(['txt2img', 'x', '--api', server.url], { SDEDGE_API_KEY: '' });
    expect(noKey.stderr).toMatch(/needs SDEDGE_API_KEY/);
    const wrongKey = await sdedge(['txt2img', 'x', '--api', server.url], {
      SDEDGE_API_KEY: 'sk_live_nope',
    });
    expect(wrongKey.stderr).toMatch(/401 unauthorized/);
  });
});
