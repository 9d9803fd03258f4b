import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIP_TOKENIZER_DIR, run } from './helpers.ts';

const sdedge = (...args: string[]) => run('npx', ['--no-install', 'sdedge', ...args]);

describe('sdedge CLI (as a user runs it, through npx)', () => {
  it('prints torch-compatible noise for a seed', () => {
    const { status, stdout } = sdedge('randn', '--seed', '42', '--shape', '1,4,64,64');
    expect(status).toBe(0);
    expect(stdout).toContain('first: 1.9269, 1.4873, 0.9007, -2.1055');
  });

  it.skipIf(!existsSync(`${CLIP_TOKENIZER_DIR}/vocab.json`))(
    'tokenizes a weighted prompt into chunks',
    () => {
      const { status, stdout } = sdedge(
        'tokenize',
        'a (cat:1.5) BREAK a dog',
        '--tokenizer',
        CLIP_TOKENIZER_DIR,
      );
      expect(status).toBe(0);
      expect(stdout.trim().split('\n')).toEqual([
        'chunk 0: 49406 320 2368@1.5000 49407',
        'chunk 1: 49406 320 1929 49407',
      ]);
    },
  );

  it('answers bad input with a code and a non-zero exit, not a stack trace', () => {
    const badSeed = sdedge('randn', '--seed', '1.5');
    expect(badSeed.status).toBe(1);
    expect(badSeed.stderr).toContain('error [invalid_seed]');
    const missing = sdedge('tokenize', 'a cat', '--tokenizer', '/nonexistent');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('error [tokenizer_file_missing]');
    expect(missing.stderr).toContain('/nonexistent/vocab.json');
    const unknown = sdedge('paint');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "paint"');
  });

  it('prints help for the CLI and each command, and its version', () => {
    const top = sdedge('--help');
    expect(top.status).toBe(0);
    expect(top.stderr).toContain('default model: sdedge-micro');
    for (const command of [
      'txt2img',
      'img2img',
      'inpaint',
      'animate',
      'make-tiny-model',
      'randn',
    ]) {
      const help = sdedge(command, '--help');
      expect(help.status, command).toBe(0);
      expect(help.stdout, command).toContain(`Usage: sdedge ${command}`);
    }
    const txt2img = sdedge('txt2img', '-h').stdout;
    expect(txt2img).toContain('--sampler NAME');
    expect(txt2img).toContain('dpmpp_2m_karras, ');
    expect(txt2img).toMatch(/--steps N .*\(default: 20\)/);
    expect(txt2img).not.toContain('--strength');
    const version = sdedge('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("refuses another command's options and empty shapes, before any work", () => {
    const strength = sdedge('txt2img', 'a cat', '--strength', '0.5');
    expect(strength.status).toBe(1);
    expect(strength.stderr).toContain('error [invalid_argument]: txt2img does not take --strength');
    const mask = sdedge('img2img', 'a cat', '--image', 'x.png', '--mask', 'm.png');
    expect(mask.stderr).toContain('img2img does not take --mask');
    for (const shape of ['0', '1,0,4', '', 'a,b', '-1,4']) {
      const empty = sdedge('randn', '--shape', shape);
      expect(empty.status, shape).not.toBe(0);
      expect(empty.stdout, shape).not.toContain('NaN');
    }
  });

  it('takes a negative seed as a random one, and makes the output folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdedge-cli-'));
    try {
      const out = join(dir, 'new', 'folder', 'red.png');
      const run1 = sdedge('txt2img', 'a red circle', '--seed', '-1', '--steps', '2', '-o', out);
      expect(run1.status, run1.stderr).toBe(0);
      expect(existsSync(out)).toBe(true);
      expect(run1.stdout).toMatch(/seed \d+/);
      expect(run1.stderr).not.toContain('trained at');
      const big = sdedge('txt2img', 'a red circle', '--width', '256', '--steps', '1', '-o', out);
      expect(big.status, big.stderr).toBe(0);
      expect(big.stderr).toContain('warning: this model was trained at 64x64; at 256x64');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to write a tiny model into a folder that is not empty, unless --force', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdedge-tiny-'));
    try {
      writeFileSync(join(dir, 'keep.txt'), 'mine');
      const refused = sdedge('make-tiny-model', dir);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('error [output_exists]');
      expect(sdedge('make-tiny-model', dir, '--force').status).toBe(0);
      expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('mine');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown execution provider and says when CUDA is not installed', async () => {
    const unknown = sdedge('txt2img', 'a cat', '--execution-provider', 'foo', '--steps', '1');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('Unknown execution provider foo; valid: cuda');
    const empty = sdedge('txt2img', 'a cat', '--execution-provider', 'cpu,', '--steps', '1');
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('--execution-provider takes a comma list');
    const { missingProviders } = await import('@sdedge/pipeline/node');
    if (missingProviders(['cuda']).length === 0) return; // a CUDA install: nothing falls back
    const dir = mkdtempSync(join(tmpdir(), 'sdedge-cuda-'));
    try {
      const cuda = sdedge(
        'txt2img',
        'a red circle',
        '--execution-provider',
        'cuda',
        '--steps',
        '1',
        '-o',
        join(dir, 'x.png'),
      );
      expect(cuda.status).toBe(0);
      expect(cuda.stderr).toContain('warning: cuda is not available');
      expect(cuda.stderr).toContain('running on cpu');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints plain progress lines off a terminal, none with --quiet, and JSON with --json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdedge-progress-'));
    try {
      const out = join(dir, 'x.png');
      const plain = sdedge('txt2img', 'a red circle', '--steps', '2', '--seed', '3', '-o', out);
      expect(plain.status, plain.stderr).toBe(0);
      expect(plain.stderr).toContain('step 1/2\nstep 2/2\n');
      expect(plain.stderr).not.toContain('\r');
      const quiet = sdedge('txt2img', 'a red circle', '--steps', '2', '--quiet', '-o', out);
      expect(quiet.stderr).not.toContain('step ');
      expect(quiet.stdout).toContain(`wrote ${out}`);
      const json = sdedge(
        'txt2img',
        'a red circle',
        '--steps',
        '2',
        '--seed',
        '3',
        '--json',
        '-o',
        out,
      );
      expect(json.status, json.stderr).toBe(0);
      expect(json.stderr).not.toContain('step ');
      const result = JSON.parse(json.stdout) as {
        images: { path: string; seed: number; width: number }[];
        executionProviders: string[];
        timings: Record<string, number>;
      };
      expect(result.images).toEqual([{ path: out, seed: 3, width: 64, height: 64 }]);
      expect(result.executionProviders).toContain('UNet: cpu');
      expect(result.timings.total).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
