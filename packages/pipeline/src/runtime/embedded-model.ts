import { fileURLToPath } from 'node:url';

/** The model shipped inside this package, served by every runner and used by the CLI. */
export const EMBEDDED_MODEL_NAME = 'sdedge-micro';

/** Its folder (diffusers ONNX layout), beside `src/` and `dist/` alike. */
export const EMBEDDED_MODEL_DIR = fileURLToPath(
  new URL(`../../models/${EMBEDDED_MODEL_NAME}`, import.meta.url),
);
