import { existsSync } from 'node:fs';
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
});
