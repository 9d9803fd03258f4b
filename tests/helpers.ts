import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLIP_TOKENIZER_DIR =
  process.env.SDEDGE_CLIP_TOKENIZER_DIR ??
  fileURLToPath(new URL('../../shared/clip-tokenizer', import.meta.url));

/** Runs a command from the repository root and returns its exit code and output. */
export function run(
  command: string,
  args: string[],
  timeoutMs = 60_000,
  env: Record<string, string> = {},
) {
  const result = spawnSync(command, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ...env },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
