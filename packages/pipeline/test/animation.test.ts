import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  animationSteps,
  encodeGif,
  encodeMp4,
  loadDeforumSettings,
  loadPipeline,
  matchColors,
  renderAnimation,
  SeedSequence,
  type StableDiffusionPipeline,
  warpFrame,
} from '../src/node.ts';
import { tinyModel } from './helpers/tiny-models.ts';

const IDENTITY = {
  angle: 0,
  zoom: 1,
  translationX: 0,
  translationY: 0,
  centerX: 0.5,
  centerY: 0.5,
};

/** A black 32x32 image with a white 4x4 square at (x, y). */
function square(x: number, y: number, size = 32) {
  const data = new Uint8Array(size * size * 3);
  for (let yy = y; yy < y + 4; yy++)
    for (let xx = x; xx < x + 4; xx++)
      data.fill(255, (yy * size + xx) * 3, (yy * size + xx) * 3 + 3);
  return { width: size, height: size, data };
}

function centroid(image: { width: number; data: Uint8Array }) {
  let [sx, sy, n] = [0, 0, 0];
  for (let p = 0; p < image.data.length / 3; p++) {
    const v = image.data[p * 3] / 255;
    sx += (p % image.width) * v;
    sy += Math.floor(p / image.width) * v;
    n += v;
  }
  return [sx / n, sy / n];
}

describe('warpFrame', () => {
  it('is the identity for zoom 1, angle 0, no translation', () => {
    const image = square(5, 9);
    expect(warpFrame(image, IDENTITY, 'replicate')).toEqual(image);
  });

  it('moves content right and down by the translation in pixels', () => {
    const moved = warpFrame(
      square(5, 9),
      { ...IDENTITY, translationX: 3, translationY: 2 },
      'replicate',
    );
    expect(moved).toEqual(square(8, 11));
  });

  it('turns content counter-clockwise for a positive angle', () => {
    // A square right of the centre goes up (smaller y) when turned 90 degrees counter-clockwise.
    const [x, y] = centroid(warpFrame(square(24, 14), { ...IDENTITY, angle: 90 }, 'replicate'));
    expect(x).toBeCloseTo(15.5, 0);
    expect(y).toBeLessThan(10);
  });

  it('zooms in about the centre', () => {
    const [x] = centroid(warpFrame(square(22, 14), { ...IDENTITY, zoom: 2 }, 'replicate'));
    expect(x).toBeGreaterThan(27); // 23.5 moves to 16 + (23.5 - 16) * 2 = 31
  });

  it('wraps or replicates borders', () => {
    const wrapped = warpFrame(square(28, 10), { ...IDENTITY, translationX: 6 }, 'wrap');
    expect(centroid(wrapped)[0]).toBeCloseTo(3.5, 0); // columns 34..37 wrap to 2..5
    const replicated = warpFrame(square(0, 10), { ...IDENTITY, translationX: 6 }, 'replicate');
    expect(replicated.data[(11 * 32 + 2) * 3]).toBe(255); // the left edge is smeared in
  });
});

describe('matchColors', () => {
  const gradient = (shift: number) => {
    const data = new Uint8Array(16 * 16 * 3);
    for (let p = 0; p < 256; p++) data.set([Math.min(255, p + shift), 128, 255 - p], p * 3);
    return { width: 16, height: 16, data };
  };

  it.each(['RGB', 'HSV', 'LAB'] as const)(
    '%s: moves colours towards the reference and keeps a matched image',
    (mode) => {
      const reference = gradient(0);
      // The same picture, darker and warmer: what drifts over many img2img frames.
      const drifted = {
        ...reference,
        data: reference.data.map((v, k) =>
          Math.min(255, Math.round(v * 0.6 + (k % 3 === 0 ? 40 : 0))),
        ),
      };
      const matched = matchColors(drifted, reference, mode);
      const distance = (a: { data: Uint8Array }) =>
        a.data.reduce((sum, v, k) => sum + Math.abs(v - reference.data[k]), 0);
      expect(distance(matched)).toBeLessThan(distance(drifted) / 2);
      const self = matchColors(reference, reference, mode);
      for (let i = 0; i < reference.data.length; i++)
        expect(Math.abs(self.data[i] - reference.data[i])).toBeLessThanOrEqual(2);
    },
  );
});

describe('seed behaviours', () => {
  const run = (behavior: 'iter' | 'fixed' | 'ladder' | 'alternate' | 'random', n = 5) => {
    const seq = new SeedSequence(10, behavior);
    return Array.from({ length: n }, (_, i) => {
      const seed = seq.seedFor(i);
      seq.advance();
      return seed;
    });
  };
  it('iter, fixed, ladder, alternate follow Deforum', () => {
    expect(run('iter')).toEqual([10, 11, 12, 13, 14]);
    expect(run('fixed')).toEqual([10, 10, 10, 10, 10]);
    expect(run('ladder')).toEqual([10, 12, 11, 13, 12]);
    expect(run('alternate')).toEqual([10, 11, 10, 11, 10]);
  });
  it('random is reproducible from the first seed; schedule reads the seed schedule', () => {
    expect(run('random')).toEqual(run('random'));
    expect(new Set(run('random')).size).toBe(5);
    const scheduled = new SeedSequence(7, 'schedule', [7, 100, 200]);
    expect([scheduled.seedFor(0), scheduled.seedFor(1), scheduled.seedFor(2)]).toEqual([
      7, 100, 200,
    ]);
  });
});

describe('loadDeforumSettings', () => {
  it('takes Deforum’s defaults, splits --neg and reports unknown keys', () => {
    const { settings, ignoredKeys } = loadDeforumSettings(
      {
        max_frames: 10,
        seed: 3,
        prompts: { '0': 'a lake --neg blurry', '5': 'a forest' },
        use_depth_warping: true,
        fov_schedule: '0:(40)',
      },
      {},
    );
    expect(ignoredKeys).toEqual(['use_depth_warping', 'fov_schedule']);
    expect(settings.sampler).toBe('euler_a');
    expect(settings.cadence).toBe(2);
    expect(settings.colorCoherence).toBe('LAB');
    expect(settings.schedules.strength).toEqual(new Array(10).fill(0.65));
    expect(settings.schedules.zoom[0]).toBeCloseTo(1.0025, 6);
    expect(settings.prompts).toEqual([
      { frame: 0, prompt: 'a lake', negativePrompt: 'blurry' },
      { frame: 5, prompt: 'a forest', negativePrompt: '' },
    ]);
    expect(settings.width).toBe(512);
  });

  it('maps A1111 / Deforum sampler names and Deforum’s string numbers', () => {
    const load = (extra: object) => loadDeforumSettings({ seed: 1, ...extra }).settings;
    expect(load({ sampler: 'DPM++ 2M Karras' }).sampler).toBe('dpmpp_2m_karras');
    expect(load({ sampler: 'klms' }).sampler).toBe('lms');
    expect(load({ sampler: 'Euler Karras' }).sampler).toBe('euler_karras');
    expect(load({ sampler: 'LMS Karras' }).sampler).toBe('lms_karras');
    expect(load({ sampler: 'Heun Karras' }).sampler).toBe('heun_karras');
    expect(load({ diffusion_cadence: '3', color_coherence: 'Match Frame 0 HSV' }).cadence).toBe(3);
    expect(load({ seed: -1 }).seed).toBeGreaterThanOrEqual(0);
    expect(
      load({
        enable_steps_scheduling: true,
        steps_schedule: '0:(10), 9:(20)',
        max_frames: 10,
      }).schedules.steps.at(-1),
    ).toBe(20);
  });

  it.each([
    [{ animation_mode: '3D' }, 'animation_mode'],
    [{ max_frames: 0 }, 'max_frames'],
    [{ sampler: 'dpm_fast' }, 'sampler'],
    [{ sampler: 'constructor' }, 'sampler'],
    [{ zoom: '0:(1.0' }, 'zoom'],
    [{ border: 'mirror' }, 'border'],
    [{ seed_behavior: 'chaos' }, 'seed_behavior'],
    [{ prompts: { later: 'x' } }, 'prompts'],
    [{ prompts: { '0': 5 } }, 'prompts'],
    [{ W: 'wide' }, 'W'],
    [{ fps: 0 }, 'fps'],
    [{ zoom: '0:(1), 5:(0)', max_frames: 10 }, 'zoom'],
  ])('refuses %j naming %s', (bad, key) => {
    expect(() => loadDeforumSettings({ seed: 1, ...bad })).toThrowError(
      expect.objectContaining({
        code: 'invalid_settings',
        message: expect.stringContaining(`"${key}"`),
      }),
    );
  });
});

describe('renderAnimation on the tiny model', () => {
  let pipe: StableDiffusionPipeline;
  const base = {
    max_frames: 24,
    W: 64,
    H: 64,
    seed: 9,
    steps: 4,
    fps: 12,
    diffusion_cadence: 2,
    zoom: '0:(1.04)',
    angle: '0:(3*sin(t/5))',
    translation_x: '0:(1)',
    prompts: { '0': 'a red circle', '12': 'a blue square' },
  };
  beforeAll(async () => {
    pipe = await loadPipeline(await tinyModel(), { executionProviders: ['cpu'] });
  });
  afterAll(() => pipe.dispose());

  it('renders every frame (the last cadence window included), deterministically', async () => {
    const { settings } = loadDeforumSettings(base);
    const steps: number[] = [];
    const a = await renderAnimation(pipe, settings, {
      onProgress: ({ frame }) => steps.push(frame),
    });
    expect(a.frames).toHaveLength(24);
    expect(a.seeds.map((s) => s.frame)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]);
    expect(a.seeds.map((s) => s.seed)).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(new Set(steps)).toEqual(new Set([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]));
    const b = await renderAnimation(pipe, settings);
    expect(b.frames.map((f) => f.data)).toEqual(a.frames.map((f) => f.data));
    const other = await renderAnimation(
      pipe,
      loadDeforumSettings({ ...base, seed_behavior: 'fixed' }).settings,
    );
    expect(other.frames[4].data).not.toEqual(a.frames[4].data);
  });

  it('runs exactly the steps animationSteps counts (what the API charges for)', async () => {
    for (const extra of [
      {},
      { diffusion_cadence: 1, max_frames: 5, strength_schedule: '0: (0.5), 2: (0.0), 3: (0.7)' },
      { max_frames: 4, enable_steps_scheduling: true, steps_schedule: '0: (3), 2: (6)' },
      { animation_mode: 'Interpolation', max_frames: 3 },
    ]) {
      const { settings } = loadDeforumSettings({ ...base, ...extra });
      let ran = 0;
      await renderAnimation(pipe, settings, { onProgress: () => ran++ });
      expect(ran, JSON.stringify(extra)).toBe(animationSteps(settings));
    }
  });

  it('stops between steps when cancelled and keeps the frames made so far', async () => {
    const controller = new AbortController();
    const { settings } = loadDeforumSettings({ ...base, diffusion_cadence: 1, max_frames: 10 });
    const result = await renderAnimation(pipe, settings, {
      signal: controller.signal,
      onProgress: ({ frame, step }) => {
        if (frame === 3 && step === 1) controller.abort();
      },
    });
    expect(result.canceled).toBe(true);
    expect(result.frames).toHaveLength(3);
  });

  it('renders interpolation mode with blended prompts', async () => {
    const { settings } = loadDeforumSettings({
      ...base,
      animation_mode: 'Interpolation',
      max_frames: 5,
      seed_behavior: 'fixed',
      prompts: { '0': 'a red circle', '4': 'a blue square' },
    });
    const result = await renderAnimation(pipe, settings);
    expect(result.frames).toHaveLength(5);
    expect(result.frames[1].data).not.toEqual(result.frames[0].data);
    const alone = await pipe.txt2img({
      prompt: 'a blue square',
      seed: 9,
      steps: 4,
      guidanceScale: 7,
      sampler: 'euler_a',
    });
    expect(result.frames[4].data).toEqual(alone.images[0].image.data);
  });

  it('encodes a decodable H.264 MP4 and a GIF of the right length and rate', async () => {
    const { settings } = loadDeforumSettings({ ...base, max_frames: 12, fps: 10 });
    const { frames } = await renderAnimation(pipe, settings);
    const dir = mkdtempSync(join(tmpdir(), 'sdedge-video-'));
    writeFileSync(join(dir, 'a.mp4'), await encodeMp4(frames, 10));
    writeFileSync(join(dir, 'a.gif'), encodeGif(frames, 10));
    if (spawnSync('ffprobe', ['-version']).status !== 0) {
      console.warn(
        '[skip] ffprobe (Debian ffmpeg) is not installed: MP4/GIF decode checks skipped',
      );
      return;
    }
    const probe = (file: string) =>
      JSON.parse(
        execFileSync(
          'ffprobe',
          [
            '-v',
            'error',
            '-count_frames',
            '-select_streams',
            'v:0',
            '-show_entries',
            'stream=codec_name,pix_fmt,width,height,r_frame_rate,nb_read_frames',
            '-of',
            'json',
            join(dir, file),
          ],
          {
            encoding: 'utf8',
          },
        ),
      ).streams[0];
    expect(probe('a.mp4')).toMatchObject({
      codec_name: 'h264',
      pix_fmt: 'yuv420p',
      width: 64,
      height: 64,
      r_frame_rate: '10/1',
      nb_read_frames: '12',
    });
    expect(probe('a.gif')).toMatchObject({
      codec_name: 'gif',
      r_frame_rate: '10/1',
      nb_read_frames: '12',
    });
  });
});
