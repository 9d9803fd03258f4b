import { ApiError } from '../errors.ts';

export interface ImageHeader {
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

/**
 * Reads a PNG's IHDR or a JPEG's frame header without decoding the pixels, and refuses what the
 * runner's decoder does not take (400 invalid_image): a 30000x30000 PNG of a few KB is refused
 * here, before it is stored or queued.
 */
export function readImageHeader(bytes: Uint8Array, param: string): ImageHeader {
  if (isPng(bytes)) return pngHeader(bytes, param);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return jpegHeader(bytes, param);
  throw new ApiError('invalid_image', `${param} is not a PNG or JPEG image.`, { param });
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const isPng = (b: Uint8Array) => b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);

/** PNG colour types and the bit depths each allows (PNG spec, table 11.1). */
const PNG_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16], // greyscale
  2: [8, 16], // RGB
  3: [1, 2, 4, 8], // palette
  4: [8, 16], // greyscale + alpha
  6: [8, 16], // RGBA
};

function pngHeader(b: Uint8Array, param: string): ImageHeader {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // Signature, then the first chunk must be IHDR, 13 bytes long.
  if (b.length < 33 || view.getUint32(8) !== 13 || ascii(b, 12, 4) !== 'IHDR')
    throw bad(param, 'is a PNG without a valid IHDR header');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const [depth, colorType, compression, filter, interlace] = [24, 25, 26, 27, 28].map(
    (i) => b[i] as number,
  );
  if (!PNG_DEPTHS[colorType as number]?.includes(depth as number))
    throw bad(
      param,
      `is a PNG with colour type ${colorType} at bit depth ${depth}, which PNG does not define`,
    );
  if (compression !== 0 || filter !== 0 || (interlace !== 0 && interlace !== 1))
    throw bad(param, 'is a PNG with an unknown compression, filter or interlace method');
  if (width === 0 || height === 0) throw bad(param, 'is a PNG of zero size');
  return { contentType: 'image/png', width, height };
}

/** Frame types jpeg decoders take: baseline, extended and progressive Huffman. */
const JPEG_FRAMES = new Set([0xc0, 0xc1, 0xc2]);
const JPEG_OTHER_FRAMES = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegHeader(b: Uint8Array, param: string): ImageHeader {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw bad(param, 'is a JPEG with a broken marker sequence');
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end, or scan data before any frame header
    const length = ((b[i + 2] as number) << 8) | (b[i + 3] as number);
    if (length < 2) throw bad(param, 'is a JPEG with a broken segment');
    if (JPEG_OTHER_FRAMES.has(marker))
      throw bad(
        param,
        'is a lossless, hierarchical or arithmetic-coded JPEG; send baseline or progressive',
      );
    if (JPEG_FRAMES.has(marker)) {
      if (i + 10 > b.length) break;
      const precision = b[i + 4];
      const height = ((b[i + 5] as number) << 8) | (b[i + 6] as number);
      const width = ((b[i + 7] as number) << 8) | (b[i + 8] as number);
      const components = b[i + 9];
      if (precision !== 8) throw bad(param, `is a ${precision}-bit JPEG; send 8-bit`);
      if (components !== 1 && components !== 3)
        throw bad(
          param,
          `is a JPEG with ${components} colour components (CMYK?); send RGB or greyscale`,
        );
      if (width === 0 || height === 0) throw bad(param, 'is a JPEG without a size');
      return { contentType: 'image/jpeg', width, height };
    }
    i += 2 + length;
  }
  throw bad(param, 'is a JPEG without a frame header');
}

const ascii = (b: Uint8Array, from: number, length: number) =>
  String.fromCharCode(...b.subarray(from, from + length));

const bad = (param: string, what: string) =>
  new ApiError('invalid_image', `${param} ${what}.`, { param });
