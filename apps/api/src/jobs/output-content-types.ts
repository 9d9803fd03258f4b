/**
 * What a job's outputs may be. Outputs are served from the API's own origin, so a runner (or
 * anyone holding a runner token) must not be able to make it serve HTML or script: only these
 * types are stored, and served with `X-Content-Type-Options: nosniff`.
 */
export const OUTPUT_CONTENT_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'video/mp4',
  'video/webm',
] as const;

export type OutputContentType = (typeof OUTPUT_CONTENT_TYPES)[number];

export function isOutputContentType(value: string): value is OutputContentType {
  return (OUTPUT_CONTENT_TYPES as readonly string[]).includes(value);
}
