import { access, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { ModelFiles } from './model-files.ts';

/** A model folder on disk; ONNX Runtime reads model files (and external weights) by path. */
export function directoryModelFiles(dir: string): ModelFiles {
  const root = resolve(dir);
  const full = (path: string) => join(root, ...path.split('/'));
  const readBytes = async (path: string) => {
    try {
      return new Uint8Array(await readFile(full(path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  return {
    name: basename(root),
    describe: full,
    readBytes,
    async readText(path) {
      const bytes = await readBytes(path);
      return bytes && new TextDecoder().decode(bytes);
    },
    async sessionSource(path) {
      try {
        await access(full(path));
        return { model: full(path) };
      } catch {
        return undefined;
      }
    },
  };
}
