import { decode as decodePngData, encode as encodePngData } from 'fast-png';
import jpeg from 'jpeg-js';
import { SdedgeError } from '../errors.ts';
import type { RgbImage } from './rgb-image.ts';

export interface EncodedPngOptions {
  /** tEXt chunks, e.g. { parameters: "..." } for AUTOMATIC1111's "PNG info". */
  text?: Record<string, string>;
}

export function encodePng(image: RgbImage, options: EncodedPngOptions = {}): Uint8Array {
  return encodePngData({
    width: image.width,
    height: image.height,
    data: image.data,
    channels: 3,
    depth: 8,
    text: options.text,
  });
}

/** Baseline JPEG at `quality` 1-100 (for previews and thumbnails; outputs stay PNG). */
export function encodeJpeg(image: RgbImage, quality = 80): Uint8Array {
  const rgba = new Uint8Array(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) {
    rgba.set(image.data.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  const encoded = jpeg.encode({ width: image.width, height: image.height, data: rgba }, quality);
  return new Uint8Array(encoded.data);
}

/** The tEXt chunks of a PNG (empty for other formats). */
export function readPngText(bytes: Uint8Array): Record<string, string> {
  if (!isPng(bytes)) return {};
  return decodePngData(bytes).text ?? {};
}

const MAX_DECODED_PIXELS = 64 * 1024 * 1024;

/**
 * Decodes PNG or JPEG bytes to RGB (alpha dropped, grey expanded, 16-bit reduced), refusing
 * anything else with `invalid_image`. WebP is not decoded (no light pure-JS decoder).
 */
export function decodeImage(bytes: Uint8Array): RgbImage {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8) {
    throw new SdedgeError('invalid_image', 'Image bytes are empty or too short to be an image.');
  }
  try {
    if (isPng(bytes)) return pngToRgb(bytes);
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const decoded = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        maxMemoryUsageInMB: 1024,
        maxResolutionInMP: 64,
      });
      return { width: decoded.width, height: decoded.height, data: new Uint8Array(decoded.data) };
    }
  } catch (error) {
    if (error instanceof SdedgeError) throw error;
    throw new SdedgeError(
      'invalid_image',
      `The image could not be decoded: ${(error as Error).message}`,
    );
  }
  const riff =
    String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' &&
    String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP';
  throw new SdedgeError(
    'invalid_image',
    riff
      ? 'WebP images are not supported; send PNG or JPEG.'
      : 'Unknown image format; send PNG or JPEG.',
  );
}

function isPng(bytes: Uint8Array): boolean {
  return bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}

function pngToRgb(bytes: Uint8Array): RgbImage {
  const png = decodePngData(bytes);
  const { width, height, channels } = png;
  if (width * height > MAX_DECODED_PIXELS)
    throw new SdedgeError('invalid_image', `The image is too large (${width}x${height}).`);
  const source = png.data;
  const scale = png.depth === 16 ? 1 / 257 : png.depth < 8 ? 255 / (2 ** png.depth - 1) : 1;
  if (png.palette) {
    const data = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      const entry = png.palette[source[p]] ?? [0, 0, 0];
      data.set([entry[0], entry[1], entry[2]], p * 3);
    }
    return { width, height, data };
  }
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const channel = channels >= 3 ? c : 0; // grey (and grey + alpha) expand to RGB
      data[p * 3 + c] = Math.round(source[p * channels + channel] * scale);
    }
  }
  return { width, height, data };
}
