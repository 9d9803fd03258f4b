import { SdedgeError } from '@sdedge/pipeline';
import { describe, expect, it } from 'vitest';
import { failureOf, PIPELINE_FAILURES } from '../src/failure-codes.ts';
import { animateJob, imageJobOptions, seedFromJobId } from '../src/job-input.ts';
import type { LeasedJob } from '../src/runner-api.ts';

const job = (kind: LeasedJob['kind'], input: Record<string, unknown>): LeasedJob => ({
  id: 'job_abc',
  kind,
  model: 'sdedge-micro',
  attempt: 1,
  input,
  input_images: [],
});

describe('job input', () => {
  it('maps the API fields to pipeline options', () => {
    expect(
      imageJobOptions(
        job('img2img', {
          prompt: 'a cat',
          negative_prompt: 'blur',
          model: 'sdedge-micro',
          width: 64,
          height: 128,
          steps: 9,
          guidance_scale: 4,
          sampler: 'ddim',
          seed: 5,
          n: 2,
          strength: 0.3,
        }),
      ),
    ).toEqual({
      prompt: 'a cat',
      negativePrompt: 'blur',
      width: 64,
      height: 128,
      steps: 9,
      guidanceScale: 4,
      sampler: 'ddim',
      seed: 5,
      batchSize: 2,
      strength: 0.3,
    });
  });

  it('gives a job without a seed the same seed on every attempt', () => {
    const a = imageJobOptions(job('txt2img', { prompt: 'x' })).seed;
    expect(a).toBe(seedFromJobId('job_abc'));
    expect(seedFromJobId('job_abd')).not.toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(2 ** 32);
  });

  it('refuses fields it does not know rather than ignore them', () => {
    expect(() => imageJobOptions(job('txt2img', { prompt: 'x', loras: [] }))).toThrow(
      /Unknown job fields: loras/,
    );
  });

  it('loads Deforum settings, and refuses init images named by path', () => {
    const loaded = animateJob(
      job('animate', {
        settings: { max_frames: 3, W: 64, H: 64, prompts: { 0: 'a' }, output_format: 'gif' },
      }),
    );
    expect(loaded.format).toBe('gif');
    expect(loaded.settings.seed).toBe(seedFromJobId('job_abc'));
    expect(() =>
      animateJob(
        job('animate', {
          settings: { use_init: true, init_image: '/etc/passwd', prompts: { 0: 'a' } },
        }),
      ),
    ).toThrow(/init_image/);
    expect(() =>
      animateJob(job('animate', { settings: { zoom: '0:(', prompts: { 0: 'a' } } })),
    ).toThrow(SdedgeError);
  });
});

describe('failures', () => {
  it('fails bad input for good, and retries what another attempt could fix', () => {
    expect(failureOf(new SdedgeError('invalid_schedule', 'zoom: bad'))).toMatchObject({
      code: 'invalid_settings',
      retryable: false,
    });
    expect(failureOf(new SdedgeError('model_file_missing', 'gone'))).toMatchObject({
      code: 'model_unavailable',
      retryable: true,
    });
    expect(
      failureOf(
        new Error('[ErrorCode:RuntimeException] Failed to allocate memory for requested buffer'),
      ),
    ).toMatchObject({ code: 'out_of_memory', retryable: true });
    expect(failureOf(new Error('boom'))).toMatchObject({ code: 'runner_error', retryable: true });
  });

  it('maps every invalid_* pipeline code to a final failure', () => {
    for (const [code, entry] of Object.entries(PIPELINE_FAILURES))
      if (code.startsWith('invalid_') && code !== 'invalid_scheduler_config')
        expect(entry.retryable, code).toBe(false);
  });
});
