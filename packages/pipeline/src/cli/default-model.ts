import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildTinyModel } from '../tiny-model/tiny-model.ts';

/** Where the CLI keeps models it builds itself: $SDEDGE_CACHE_DIR, else ~/.cache/sdedge. */
export function cacheDir(): string {
  return (
    process.env.SDEDGE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sdedge')
  );
}

/**
 * The model used when no --model is given: the tiny random-weight model, built into the cache on
 * first use (it draws noise; it proves every stage runs).
 */
export async function defaultModelDir(): Promise<string> {
  const dir = join(cacheDir(), 'tiny-sd15');
  if (!existsSync(join(dir, 'model_index.json')))
    await buildTinyModel(dir, { variant: 'sd15', seed: 0 });
  return dir;
}
