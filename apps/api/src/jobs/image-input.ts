import { ApiError } from '../errors.ts';

/** PNG or JPEG bytes from base64 / a data: URL, checked by their magic numbers. */
export function decodeImageData(
  value: string,
  param: string,
): { bytes: Uint8Array; contentType: string } {
  const base64 = value.replace(/^data:image\/[\w.+-]+;base64,/, '');
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(base64.replace(/\s+/g, '')), (ch) => ch.charCodeAt(0));
  } catch {
    throw new ApiError('invalid_image', `${param} is not valid base64.`, { param });
  }
  return { bytes, contentType: sniffImage(bytes, param) };
}

export function sniffImage(bytes: Uint8Array, param: string): string {
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47
  )
    return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return 'image/jpeg';
  throw new ApiError('invalid_image', `${param} is not a PNG or JPEG image.`, { param });
}

/** Largest input image accepted, decoded. */
export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
