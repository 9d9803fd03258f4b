import { decode as decodePngData, encode as encodePngData } from 'fast-png';
import jpeg from 'jpeg-js';
import { SdedgeError } from '../errors.ts';
import { readJpegMetadata } from './jpeg-metadata.ts';
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
 * Decodes PNG or JPEG bytes to RGB (alpha composited over white, grey expanded, 16-bit reduced), refusing
 * anything else with `invalid_image`. WebP is not decoded (no light pure-JS decoder).
 */
export function decodeImage(bytes: Uint8Array): RgbImage {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8) {
    throw new SdedgeError('invalid_image', 'Image bytes are empty or too short to be an image.');
  }
  try {
    if (isPng(bytes)) return pngToRgb(bytes);
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const meta = readJpegMetadata(bytes);
      if (meta.components === 4)
        throw new SdedgeError(
          'invalid_image',
          'CMYK JPEGs are not supported (their colours depend on a print profile); save the image as RGB.',
        );
      const decoded = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        maxMemoryUsageInMB: 1024,
        maxResolutionInMP: 64,
      });
      const image = {
        width: decoded.width,
        height: decoded.height,
        data: new Uint8Array(decoded.data),
      };
      // As a viewer shows it (and diffusers' load_image, through PIL's exif_transpose).
      return applyOrientation(image, meta.orientation);
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

/**
 * Every PNG colour type and bit depth (1, 2, 4, 8, 16; grey, RGB, palette, with alpha or tRNS;
 * interlaced or not) to 8-bit RGB. Transparency is composited over white, as a browser shows a
 * transparent PNG on a white page: a transparent mask area reads as white (repaint).
 */
function pngToRgb(bytes: Uint8Array): RgbImage {
  // IHDR is the first chunk: bit depth at byte 24, interlace method at byte 28. fast-png 8
  // de-interlaces only whole-byte samples (it reads 1-, 2- and 4-bit Adam7 rows as 8-bit ones).
  if (bytes.length > 28 && (bytes[24] as number) < 8 && bytes[28] === 1)
    throw new SdedgeError(
      'invalid_image',
      `Interlaced PNGs with ${bytes[24]}-bit samples are not supported yet; save the image without interlacing (or at 8 bits).`,
    );
  const png = decodePngData(bytes);
  const { width, height, depth } = png;
  if (width * height > MAX_DECODED_PIXELS)
    throw new SdedgeError('invalid_image', `The image is too large (${width}x${height}).`);
  const channels = png.palette ? 1 : png.channels;
  const sample = sampleReader(png.data, width, depth, channels);
  const max = 2 ** depth - 1;
  const key = !png.palette && png.transparency ? [...png.transparency] : null; // tRNS colour
  const data = new Uint8Array(width * height * 3);
  const rgb = [0, 0, 0];
  for (let p = 0; p < width * height; p++) {
    let alpha = 1;
    if (png.palette) {
      const entry = png.palette[sample(p, 0)];
      if (!entry)
        throw new SdedgeError('invalid_image', 'A PNG pixel names a colour its palette lacks.');
      rgb[0] = entry[0] as number;
      rgb[1] = entry[1] as number;
      rgb[2] = entry[2] as number;
      alpha = (entry[3] ?? 255) / 255;
    } else {
      const colour = channels >= 3 ? 3 : 1;
      for (let c = 0; c < 3; c++) rgb[c] = (sample(p, colour === 3 ? c : 0) * 255) / max;
      if (channels === 2 || channels === 4) alpha = sample(p, channels - 1) / max;
      if (key?.every((value, c) => sample(p, c) === value)) alpha = 0;
    }
    for (let c = 0; c < 3; c++)
      data[p * 3 + c] = Math.round((rgb[c] as number) * alpha + 255 * (1 - alpha));
  }
  return { width, height, data };
}

/** Sample `c` of pixel `p`; below 8 bits, samples are packed into bytes row by row. */
function sampleReader(
  data: ArrayLike<number>,
  width: number,
  depth: number,
  channels: number,
): (p: number, c: number) => number {
  if (depth >= 8) return (p, c) => data[p * channels + c] as number;
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = 2 ** depth - 1;
  return (p) => {
    const x = p % width;
    const bit = x * depth;
    const byte = data[Math.floor(p / width) * rowBytes + (bit >> 3)] as number;
    return (byte >> (8 - depth - (bit & 7))) & mask;
  };
}

/**
 * The image turned upright per its EXIF orientation: for each pixel of the upright image, the
 * stored pixel it shows (1 upright, 2 mirrored, 3 turned 180, 4 flipped, 5 transposed, 6 turned
 * 90 clockwise, 7 transversed, 8 turned 90 anticlockwise).
 */
function applyOrientation(image: RgbImage, orientation: number): RgbImage {
  if (orientation === 1) return image;
  const { width: w, height: h } = image;
  const swap = orientation >= 5;
  const width = swap ? h : w;
  const height = swap ? w : h;
  const source: Record<number, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [w - 1 - x, y],
    3: (x, y) => [w - 1 - x, h - 1 - y],
    4: (x, y) => [x, h - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, h - 1 - x],
    7: (x, y) => [w - 1 - y, h - 1 - x],
    8: (x, y) => [w - 1 - y, x],
  };
  const from = source[orientation] as (x: number, y: number) => [number, number];
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [sx, sy] = from(x, y);
      data.set(image.data.subarray((sy * w + sx) * 3, (sy * w + sx) * 3 + 3), (y * width + x) * 3);
    }
  return { width, height, data };
}
