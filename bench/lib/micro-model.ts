import { fileURLToPath } from 'node:url';

/** The committed sdedge-micro model (the CLI's default model). */
export const MICRO_MODEL_DIR = fileURLToPath(
  new URL('../../packages/pipeline/models/sdedge-micro', import.meta.url),
);
