import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The real CLIP vocabulary lives in `../shared/clip-tokenizer/` beside the checkout (CI has it
 * too); SDEDGE_CLIP_TOKENIZER_DIR points elsewhere. Tests that need it skip when it is missing.
 */
export const CLIP_TOKENIZER_DIR =
  process.env.SDEDGE_CLIP_TOKENIZER_DIR ??
  fileURLToPath(new URL('../../../../../shared/clip-tokenizer', import.meta.url));

export const HAS_CLIP_TOKENIZER = existsSync(`${CLIP_TOKENIZER_DIR}/vocab.json`);

if (!HAS_CLIP_TOKENIZER) {
  console.warn(
    `[skip] real CLIP tokenizer files not found at ${CLIP_TOKENIZER_DIR}; set SDEDGE_CLIP_TOKENIZER_DIR to run the tests that need them.`,
  );
}
