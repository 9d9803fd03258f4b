import { z } from '@hono/zod-openapi';

/**
 * Bounds every request string and structure is held to, so no input reaches a limit further in
 * (R2's 1,024-byte keys, SQLite's 2 MB values, the stack in JSON.stringify) as a 500.
 */

/** A model name (catalog names; user models may have an owner/ prefix). */
export const ModelName = z.string().min(1).max(128);

/** An id in a path or body: ours are about 24 characters. */
export const Id = z.string().min(1).max(64);

/** An output or input file name: short, no slashes (it becomes part of an R2 key). */
export const FILE_NAME = /^[\w][\w.-]{0,63}$/;
export const FileName = z.string().regex(FILE_NAME, 'a file name of 1-64 letters, digits, _ . -');

/** Deforum settings: unknown keys are kept for the runner, within these. */
export const MAX_SETTINGS_BYTES = 64 * 1024;
export const MAX_SETTINGS_DEPTH = 8;

/** Whether `value` nests objects or arrays deeper than `limit` (iterative: no stack to overflow). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Refuses settings nested too deep or too large once serialised (checked in that order). */
export function boundedSettings(value: Record<string, unknown>, ctx: z.RefinementCtx) {
  if (nestsDeeperThan(value, MAX_SETTINGS_DEPTH))
    ctx.addIssue({
      code: 'custom',
      message: `settings nest at most ${MAX_SETTINGS_DEPTH} levels deep`,
    });
  else if (new TextEncoder().encode(JSON.stringify(value)).length > MAX_SETTINGS_BYTES)
    ctx.addIssue({
      code: 'custom',
      message: `settings are at most ${MAX_SETTINGS_BYTES / 1024} KB as JSON`,
    });
}
