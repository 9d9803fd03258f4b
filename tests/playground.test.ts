import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevServer, startDevServer } from '@sdedge/api/dev-server';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, type RunnerProcess, startRunner } from './runner-process.ts';

// The playground page and /docs in real headless Chromium (Debian's, driven by playwright-core),
// against the API under wrangler dev and a real runner. SDEDGE_SCREENSHOT_DIR keeps screenshots.
const CHROMIUM = process.env.SDEDGE_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `[skip] no Chromium at ${CHROMIUM} (apt-get install chromium): playground tests skipped`,
  );
const shots = process.env.SDEDGE_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'sdedge-shots-'));

/** What the page functions below touch (this file is type-checked without the DOM library). */
interface PageGlobals {
  document: { getElementById(id: string): { width: number; textContent: string | null } | null };
}

let server: DevServer;
let runner: RunnerProcess;
let browser: Browser;
let key: string;

describe.skipIf(!hasChromium)('the playground in a headless browser', () => {
  beforeAll(async () => {
    server = await startDevServer();
    runner = await startRunner(server.url);
    key = (await createApiKey(server.url, { name: 'playground' })).key;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await runner?.kill('SIGTERM');
    await server?.stop();
  });

  it('makes an image with live previews, then inpaints it with the brush', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/playground/`);
    await page.fill('#key', key);
    await page.fill('#prompt', 'a red square in the bottom right on a white background');
    await page.fill('#seed', '3');
    await page.selectOption('#sampler', 'dpmpp_2m_karras');
    await page.click('#go');
    await page.waitForSelector('img.result', { timeout: 60_000 });
    expect(Number(await page.getAttribute('#preview', 'data-previews'))).toBeGreaterThan(0);
    expect(await page.textContent('#status')).toMatch(/^Done: job job_/);
    expect(await page.textContent('figcaption')).toMatch(
      /Seed: 3, Size: 64x64, Model: sdedge-micro/,
    );
    const width = await page.$eval(
      'img.result',
      (img) => (img as unknown as { naturalWidth: number }).naturalWidth,
    );
    expect(width).toBe(64);
    await page.screenshot({ path: join(shots, 'playground.png') });

    // Inpaint: the result as the init image, a stroke of the brush, generate again.
    const png = await page.$eval('img.result', async (img) => {
      const bytes = new Uint8Array(
        await (await fetch((img as unknown as { src: string }).src)).arrayBuffer(),
      );
      return Array.from(bytes);
    });
    const file = join(shots, 'init.png');
    writeFileSync(file, Uint8Array.from(png));
    await page.selectOption('#mode', 'inpaint');
    await page.setInputFiles('#image', file);
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.getElementById('canvas')?.width === 64,
    );
    const box = await page.locator('#canvas').boundingBox();
    if (!box) throw new Error('no canvas');
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.4, { steps: 5 });
    await page.mouse.up();
    await page.fill('#prompt', 'a blue circle in the top left on a white background');
    await page.click('#go');
    await page.waitForFunction(
      () =>
        /Done: job/.test(
          (globalThis as unknown as PageGlobals).document.getElementById('status')?.textContent ??
            '',
        ),
      null,
      { timeout: 60_000 },
    );
    expect(await page.textContent('figcaption')).toMatch(/a blue circle/);
    expect(errors).toEqual([]);
  });

  it('renders the API reference at /docs with no internet', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url)) outside.push(r.url());
    });
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toMatch(/sdedge/i);
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
    expect(outside).toEqual([]);
    await page.screenshot({ path: join(shots, 'docs.png') });
  });
});
