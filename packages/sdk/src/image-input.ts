import { SdedgeError } from './errors.ts';

/**
 * An image to send: bytes, a Blob (or File), a URL (http(s) is downloaded; data: is sent as is),
 * or, in Node, Deno and Bun, a file path.
 */
export type ImageInput = Uint8Array | ArrayBuffer | Blob | URL | string;

/** The image as the API takes it in JSON: base64, or the caller's own data: URL as is. */
export async function toImageData(
  input: ImageInput,
  field: string,
  fetcher: typeof fetch,
): Promise<string> {
  if (typeof input === 'string' && input.startsWith('data:')) return input;
  const url =
    input instanceof URL
      ? input
      : typeof input === 'string' && /^https?:\/\//i.test(input)
        ? new URL(input)
        : null;
  let bytes: Uint8Array;
  if (url) {
    if (url.protocol === 'data:') return url.href;
    const response = await fetcher(url);
    if (!response.ok)
      throw new SdedgeError(`${field}: downloading ${url} failed with ${response.status}.`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } else if (typeof input === 'string') bytes = await readFile(input, field);
  else if (input instanceof Uint8Array) bytes = input;
  else if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
  else if (typeof Blob !== 'undefined' && input instanceof Blob)
    bytes = new Uint8Array(await input.arrayBuffer());
  else throw new SdedgeError(`${field} must be bytes, a Blob, a URL or a file path.`);
  return toBase64(bytes); // plain base64: the API sniffs PNG or JPEG from the bytes
}

async function readFile(path: string, field: string): Promise<Uint8Array> {
  // A variable specifier keeps browser bundlers from pulling in a Node built-in.
  const specifier = 'node:fs/promises';
  let fs: { readFile(path: string): Promise<Uint8Array> };
  try {
    fs = await import(/* @vite-ignore */ specifier);
  } catch {
    throw new SdedgeError(
      `${field}: file paths work in Node, Deno and Bun; pass bytes or a Blob here.`,
    );
  }
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (error) {
    throw new SdedgeError(`${field}: cannot read ${path}: ${(error as Error).message}`);
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
