import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EMBEDDED_MODEL_DIR, EMBEDDED_MODEL_NAME } from '@sdedge/pipeline/node';

/** Model names the API accepts (its `model` field): a folder name, 1-64 safe characters. */
const MODEL_NAME = /^[\w][\w.-]{0,63}$/;

/**
 * The models this runner serves: every folder of `modelsDir` that holds a `model_index.json`
 * (the diffusers layout), under its folder name, and the embedded sdedge-micro always.
 */
export function findModels(modelsDir: string | null): Map<string, string> {
  const models = new Map<string, string>([[EMBEDDED_MODEL_NAME, EMBEDDED_MODEL_DIR]]);
  if (!modelsDir) return models;
  if (!existsSync(modelsDir)) throw new Error(`SDEDGE_MODELS_DIR: ${modelsDir} does not exist.`);
  for (const entry of readdirSync(modelsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
    const dir = join(modelsDir, entry.name);
    if (!existsSync(join(dir, 'model_index.json'))) continue;
    if (!MODEL_NAME.test(entry.name)) {
      console.warn(
        `[runner] skipping model folder ${JSON.stringify(entry.name)}: not a valid model name`,
      );
      continue;
    }
    models.set(entry.name, dir);
  }
  return models;
}
