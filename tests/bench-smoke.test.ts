import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from './helpers.ts';

// Benchmarks are timed by hand; here each one only has to run to the end in its smoke mode and
// print its table, so they cannot rot unnoticed.
const scripts = readdirSync(`${REPO_ROOT}/bench`).filter((f) => f.endsWith('.ts'));

describe('benchmarks run in smoke mode', () => {
  it.each(scripts)(
    '%s',
    (script) => {
      const { status, stdout, stderr } = run(
        'npx',
        ['--no-install', 'tsx', `bench/${script}`, '--smoke'],
        300_000,
      );
      expect(status, stderr).toBe(0);
      expect(stdout).toMatch(/^\| what/m);
    },
    300_000,
  );
});
