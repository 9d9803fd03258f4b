import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';

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
