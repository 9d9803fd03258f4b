import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClipTokenizerOptions } from './clip-tokenizer.ts';
import { readTokenizerFiles } from './tokenizer-files.ts';

/** Reads a Hugging Face CLIP tokenizer folder into constructor options (Node only). */
export async function readTokenizerDirectory(dir: string): Promise<ClipTokenizerOptions> {
  return readTokenizerFiles(
    async (name) => {
      try {
        return await readFile(join(dir, name), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    (name) => join(dir, name),
  );
}
