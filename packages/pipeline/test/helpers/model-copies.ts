import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway copy of a model folder to break or rewrite in a test. */
export function copyModel(dir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'sdedge-model-'));
  cpSync(dir, copy, { recursive: true });
  return copy;
}

export function editJson(path: string, edit: (value: Record<string, unknown>) => void): void {
  const value = JSON.parse(readFileSync(path, 'utf8'));
  edit(value);
  writeFileSync(path, JSON.stringify(value));
}

/** Every file of a folder by relative path, for memoryModelFiles. */
export function readTree(dir: string, prefix = ''): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) Object.assign(out, readTree(path, `${prefix}${name}/`));
    else out[prefix + name] = new Uint8Array(readFileSync(path));
  }
  return out;
}
