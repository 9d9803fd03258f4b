import { ApiError } from '../errors.ts';

/** The bytes of an image sent as base64 or a data: URL (readImageHeader checks what they are). */
export function decodeImageData(value: string, param: string): Uint8Array {
  const base64 = value.replace(/^data:image\/[\w.+-]+;base64,/, '');
  try {
    return Uint8Array.from(atob(base64.replace(/\s+/g, '')), (ch) => ch.charCodeAt(0));
  } catch {
    throw new ApiError('invalid_image', `${param} is not valid base64.`, { param });
  }
}

/** Largest input image accepted, decoded. */
export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
