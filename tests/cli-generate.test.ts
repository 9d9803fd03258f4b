import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, encodePng, parseGenerationParameters, readPngText } from '@sdedge/pipeline';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from './helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'sdedge-cli-'));
const env = { SDEDGE_CACHE_DIR: join(work, 'cache') };
const sdedge = (...args: string[]) => run('npx', ['--no-install', 'sdedge', ...args], 120_000, env);

describe('sdedge txt2img / img2img / inpaint / make-tiny-model', () => {
  it('generates with the default model, the embedded sdedge-micro', () => {
    const out = join(work, 'lighthouse.png');
    const { status, stdout, stderr } = sdedge(
      'txt2img',
      'a lighthouse at dusk',
      '--steps',
      '4',
      '--seed',
      '1',
      '-o',
      out,
    );
    expect(status, stderr).toBe(0);
    expect(stdout).toContain(`wrote ${out} (seed 1, 64x64)`);
    expect(stdout).toMatch(
      /timings: load [\d.]+ ms, tokenize [\d.]+ ms, textEncoder [\d.]+ ms, unet [\d.]+ ms/,
    );
    expect(stdout).toContain('models/sdedge-micro');
    const png = new Uint8Array(readFileSync(out));
    expect(decodeImage(png).width).toBe(64);
    const parameters = parseGenerationParameters(readPngText(png).parameters);
    expect(parameters.prompt).toBe('a lighthouse at dusk');
    expect(parameters.settings).toMatchObject({
      Steps: '4',
      Seed: '1',
      Sampler: 'DPM++ 2M Karras',
      Model: 'sdedge-micro',
    });
  });

  it('draws what the prompt says with the default model (colours and position read back)', async () => {
    const out = join(work, 'blue.png');
    const { status } = sdedge(
      'txt2img',
      'a blue circle in the top left on a white background',
      '--seed',
      '1',
      '-o',
      out,
    );
    expect(status).toBe(0);
    const { analyzeScene } = await import('@sdedge/pipeline/testing');
    const vocabulary = JSON.parse(
      readFileSync(
        join(REPO_ROOT, 'packages/pipeline/models/sdedge-micro/sdedge_scenes.json'),
        'utf8',
      ),
    );
    const reading = analyzeScene(decodeImage(new Uint8Array(readFileSync(out))), vocabulary);
    expect(reading).toMatchObject({
      color: 'blue',
      background: 'white',
      position: 'top left',
      count: 1,
    });
  });

  it('writes one file per image of a batch', () => {
    const out = join(work, 'batch.png');
    const { status } = sdedge(
      'txt2img',
      'a cat',
      '--steps',
      '2',
      '--seed',
      '5',
      '--batch',
      '2',
      '-o',
      out,
    );
    expect(status).toBe(0);
    expect(existsSync(join(work, 'batch-0.png')) && existsSync(join(work, 'batch-1.png'))).toBe(
      true,
    );
  });

  it('makes tiny models and runs img2img and inpaint on them', () => {
    const model = join(work, 'inpaint-model');
    expect(sdedge('make-tiny-model', model, '--variant', 'inpaint').status).toBe(0);
    const image = join(work, 'in.png');
    const mask = join(work, 'mask.png');
    const rgb = new Uint8Array(64 * 64 * 3).fill(90);
    writeFileSync(image, encodePng({ width: 64, height: 64, data: rgb }));
    const maskData = new Uint8Array(64 * 64 * 3);
    maskData.fill(255, 0, 64 * 32 * 3);
    writeFileSync(mask, encodePng({ width: 64, height: 64, data: maskData }));

    const img2img = sdedge(
      'img2img',
      'a cat',
      '--image',
      image,
      '--strength',
      '0.5',
      '--steps',
      '4',
      '--seed',
      '2',
      '-o',
      join(work, 'i2i.png'),
    );
    expect(img2img.status, img2img.stderr).toBe(0);
    const inpaint = sdedge(
      'inpaint',
      'a cat',
      '--model',
      model,
      '--image',
      image,
      '--mask',
      mask,
      '--steps',
      '3',
      '--seed',
      '2',
      '-o',
      join(work, 'inp.png'),
    );
    expect(inpaint.status, inpaint.stderr).toBe(0);
    const result = decodeImage(new Uint8Array(readFileSync(join(work, 'inp.png'))));
    // The bottom half was not masked: it keeps the input's grey.
    expect(Array.from(result.data.subarray(64 * 60 * 3, 64 * 60 * 3 + 6))).toEqual([
      90, 90, 90, 90, 90, 90,
    ]);
  });

  it('answers bad input with an error code and exit status 1', () => {
    const badSize = sdedge('txt2img', 'a cat', '--width', '65');
    expect(badSize.status).toBe(1);
    expect(badSize.stderr).toContain('error [invalid_size]');
    const noImage = sdedge('img2img', 'a cat');
    expect(noImage.stderr).toContain('--image FILE is required');
    writeFileSync(join(work, 'junk.png'), 'junk');
    const junk = sdedge('img2img', 'a cat', '--image', join(work, 'junk.png'));
    expect(junk.stderr).toContain('error [invalid_image]');
    const missingModel = sdedge('txt2img', 'a cat', '--model', join(work, 'nope'));
    expect(missingModel.stderr).toContain('error [model_file_missing]');
    const badSampler = sdedge('txt2img', 'a cat', '--sampler', 'fast');
    expect(badSampler.stderr).toContain('error [unknown_scheduler]');
    const badNumber = sdedge('txt2img', 'a cat', '--steps', 'many');
    expect(badNumber.stderr).toContain('--steps must be a number');
  });
});
