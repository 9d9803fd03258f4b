import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_MODEL_DIR } from '../runtime/embedded-model.ts';
import { buildTinyModel } from '../tiny-model/tiny-model.ts';

/** The model shipped inside this package: sdedge-micro, trained on coloured-shape scenes. */
export const MICRO_MODEL_DIR = EMBEDDED_MODEL_DIR;

/** Where the CLI keeps models it builds itself: $SDEDGE_CACHE_DIR, else ~/.cache/sdedge. */
export function cacheDir(): string {
  return (
    process.env.SDEDGE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sdedge')
  );
}

/**
 * The model used when no --model is given: the embedded sdedge-micro, which draws what simple
 * prompts say ("a red circle in the top left on a blue background"). Should it be missing (a
 * trimmed install), the tiny random model, built into the cache on first use.
 */
export async function defaultModelDir(): Promise<string> {
  if (existsSync(join(MICRO_MODEL_DIR, 'model_index.json'))) return MICRO_MODEL_DIR;
  const dir = join(cacheDir(), 'tiny-sd15');
  if (!existsSync(join(dir, 'model_index.json')))
    await buildTinyModel(dir, { variant: 'sd15', seed: 0 });
  return dir;
}
