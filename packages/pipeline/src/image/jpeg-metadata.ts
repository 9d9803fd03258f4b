/**
 * What a JPEG's markers say before its pixels are decoded: the number of colour components (a
 * CMYK JPEG has 4) and the EXIF orientation (1-8; 1 when there is none), which cameras and phones
 * set instead of rotating the pixels. Walks the segments up to the first frame header.
 */
export interface JpegMetadata {
  components: number | null;
  orientation: number;
}

export function readJpegMetadata(bytes: Uint8Array): JpegMetadata {
  const meta: JpegMetadata = { components: null, orientation: 1 };
  let at = 2; // after SOI
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1] as number;
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    const body = at + 4;
    if (marker === 0xe1 && isExif(bytes, body)) meta.orientation = exifOrientation(bytes, body + 6);
    // Start of frame (any SOFn but DHT, JPG and DAC): precision, height, width, components.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      meta.components = bytes[body + 5] ?? null;
      return meta;
    }
    if (marker === 0xda) return meta; // start of scan: no frame header before it
    at = body + length - 2;
  }
  return meta;
}

function isExif(bytes: Uint8Array, at: number): boolean {
  return String.fromCharCode(...bytes.subarray(at, at + 6)) === 'Exif\0\0';
}

/** Tag 0x0112 of IFD0 in the TIFF block at `tiff`; 1 if absent or malformed. */
function exifOrientation(bytes: Uint8Array, tiff: number): number {
  const little = bytes[tiff] === 0x49; // "II" (Intel) or "MM" (Motorola)
  const u16 = (at: number) =>
    little
      ? (bytes[at] as number) | ((bytes[at + 1] as number) << 8)
      : ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
  const u32 = (at: number) =>
    little ? u16(at) + u16(at + 2) * 65536 : u16(at) * 65536 + u16(at + 2);
  if (tiff + 8 > bytes.length) return 1;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > bytes.length) return 1;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > bytes.length) return 1;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}
