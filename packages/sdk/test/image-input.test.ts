import { describe, expect, it } from 'vitest';
import { toImageData } from '../src/image-input.ts';
import { SdedgeError } from '../src/index.ts';

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const pngBase64 = 'iVBORw0KGgoBAgM=';
const noFetch = (() => Promise.reject(new Error('no fetch expected'))) as typeof fetch;
const inBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';

describe('toImageData (runs in Node, workerd and the browser)', () => {
  it('sends bytes, an ArrayBuffer and a Blob as the same base64', async () => {
    for (const input of [png, png.slice().buffer, new Blob([png], { type: 'image/png' })])
      await expect(toImageData(input, 'image', noFetch)).resolves.toBe(pngBase64);
  });

  it('passes a data: URL through and downloads an http(s) URL with the given fetch', async () => {
    const dataUrl = `data:image/png;base64,${pngBase64}`;
    await expect(toImageData(dataUrl, 'image', noFetch)).resolves.toBe(dataUrl);
    const asked: string[] = [];
    const fetcher = (async (url: URL) => {
      asked.push(String(url));
      return new Response(png);
    }) as typeof fetch;
    await expect(toImageData('https://example.com/a.png', 'image', fetcher)).resolves.toBe(
      pngBase64,
    );
    expect(asked).toEqual(['https://example.com/a.png']);
    const missing = (async () => new Response('gone', { status: 404 })) as typeof fetch;
    await expect(
      toImageData(new URL('https://example.com/b.png'), 'mask', missing),
    ).rejects.toThrow(/mask: downloading https:\/\/example.com\/b.png failed with 404/);
  });

  it('reads a file path only where a file system exists, with a clear error otherwise', async () => {
    const attempt = toImageData('/no/such/file.png', 'image', noFetch);
    await expect(attempt).rejects.toBeInstanceOf(SdedgeError);
    await expect(attempt).rejects.toThrow(
      inBrowser
        ? /file paths work in Node, Deno and Bun/
        : /image: cannot read \/no\/such\/file.png/,
    );
  });

  it('refuses anything else', async () => {
    await expect(toImageData(42 as never, 'image', noFetch)).rejects.toThrow(
      /image must be bytes, a Blob, a URL or a file path/,
    );
  });
});
