import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from './helpers.ts';

// What users run: plain `node`, no TypeScript loader, importing the packages by name.
describe('the packages load in plain node', () => {
  it.each([
    ['@sdedge/pipeline', 'loadPipeline'],
    ['@sdedge/pipeline/node', 'EMBEDDED_MODEL_DIR'],
    ['@sdedge/pipeline/web', 'loadPipeline'],
    ['@sdedge/sdk', 'Sdedge'],
    ['@sdedge/sdk/error-codes', 'ERROR_CODES'],
    ['@sdedge/gpu-runner', 'main'],
  ])('%s', (name, member) => {
    const { status, stdout, stderr } = run(process.execPath, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(name)}); console.log(typeof m[${JSON.stringify(member)}]);`,
    ]);
    expect(status, stderr).toBe(0);
    expect(stdout.trim()).toMatch(/^(function|string|object)$/);
  });
});

describe("the root README's library example", () => {
  it('runs as written with plain node and writes its PNG', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const block = readme.match(/```js\n(\/\/ save as generate\.mjs[\s\S]*?)```/)?.[1];
    expect(block, 'the example block').toBeDefined();
    // Inside the checkout, as the example says, so @sdedge/pipeline resolves from node_modules.
    const dir = mkdtempSync(join(REPO_ROOT, 'tests', '.readme-example-'));
    try {
      writeFileSync(join(dir, 'generate.mjs'), block as string);
      const { status, stderr } = spawnSync(process.execPath, ['generate.mjs'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(status, stderr).toBe(0);
      const png = readFileSync(join(dir, 'out.png'));
      expect([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
