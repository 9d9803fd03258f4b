import { afterEach, describe, expect, it } from 'vitest';
import { api, clearQueue, createKey, lease } from './helpers.ts';

afterEach(clearQueue);

const settings = {
  max_frames: 30,
  W: 64,
  H: 64,
  steps: 20,
  diffusion_cadence: 3,
  strength_schedule: '0: (0.6)',
  prompts: { 0: 'a red circle', 15: 'a blue square' },
};

describe('POST /v1/videos/animate', () => {
  it('queues Deforum settings, priced by the diffused frames', async () => {
    const key = await createKey({ credits: 100 });
    const res = await api(key, '/v1/videos/animate', { body: { settings } });
    expect(res.status).toBe(202);
    const job = (await res.json()) as {
      kind: string;
      input: { settings: Record<string, unknown> };
      usage: { credits_reserved: number };
    };
    expect(job.kind).toBe('animate');
    expect(job.input.settings).toMatchObject({
      max_frames: 30,
      W: 64,
      H: 64,
      output_format: 'mp4',
    });
    // 10 diffused frames: 20 steps, then 9 x 8 steps (strength 0.6) = 92 steps at 64x64 -> 2 credits.
    expect(job.usage.credits_reserved).toBe(2);
    const [l] = await lease();
    expect(l?.job.kind).toBe('animate');
  });

  it('keeps unknown Deforum keys for the runner and validates what it prices', async () => {
    const key = await createKey();
    const ok = (await (
      await api(key, '/v1/videos/animate', {
        body: { settings: { ...settings, zoom: '0: (1.04)' } },
      })
    ).json()) as { input: { settings: { zoom: string } } };
    expect(ok.input.settings.zoom).toBe('0: (1.04)');
    for (const [bad, param] of [
      [{ ...settings, max_frames: 0 }, 'settings.max_frames'],
      [{ ...settings, W: 65 }, 'settings.W'],
      [{ ...settings, prompts: {} }, 'settings.prompts'],
      [{ ...settings, diffusion_cadence: 0 }, 'settings.diffusion_cadence'],
    ] as const) {
      const res = await api(key, '/v1/videos/animate', { body: { settings: bad } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).toBe(param);
    }
  });

  // At 256x256 (the micro model's largest) a step costs a quarter credit, rounded up per job.
  const at256 = (extra: Record<string, unknown>) => ({
    max_frames: 4,
    W: 256,
    H: 256,
    steps: 20,
    diffusion_cadence: 1,
    strength_schedule: '0: (0.5)',
    prompts: { 0: 'a red circle' },
    ...extra,
  });
  it.each([
    ['a constant strength: 20 + 3 x floor(20 x 0.5)', {}, 50],
    [
      'strength by expression, frame by frame (0.5 at t=1..3 via 0.5+0*t)',
      { strength_schedule: '0: (0.5 + 0*t)' },
      50,
    ],
    [
      'keyframes 0.5 at 0, 0 at 2, 0.5 at 3, linear between (0.25 at frame 1)',
      { strength_schedule: '0: (0.5), 2: (0.0), 3: (0.5)' },
      20 + 15 + 20 + 10,
    ],
    ['cadence 2: frames 0 and 2 diffused', { diffusion_cadence: 2 }, 30],
    [
      'steps_schedule with enable_steps_scheduling: 150 steps a frame',
      { enable_steps_scheduling: true, steps_schedule: '0: (150)' },
      150 + 3 * 75,
    ],
    ['steps_schedule ignored without enable_steps_scheduling', { steps_schedule: '0: (150)' }, 50],
    ['Interpolation: every frame from noise', { animation_mode: 'Interpolation' }, 80],
  ])('prices %s', async (_name, extra, steps) => {
    const key = await createKey({ credits: 10_000 });
    const res = await api(key, '/v1/videos/animate', { body: { settings: at256(extra) } });
    expect(res.status, await res.clone().text()).toBe(202);
    const job = (await res.json()) as { usage: { credits_reserved: number } };
    expect(job.usage.credits_reserved).toBe(Math.ceil(steps / 4));
  });

  it.each([
    ['strength_schedule', { strength_schedule: '0: (.)' }],
    ['strength_schedule', { strength_schedule: '0: (0/0)' }],
    ['strength_schedule', { strength_schedule: '0: (log(0))' }],
    ['steps_schedule', { enable_steps_scheduling: true, steps_schedule: '0: (1e9)' }],
    ['steps_schedule', { enable_steps_scheduling: true, steps_schedule: '0: (0)' }],
    ['steps_schedule', { enable_steps_scheduling: true, steps_schedule: '0: (nonsense)' }],
    ['animation_mode', { animation_mode: '3D' }],
    ['init_image', { use_init: true, init_image: '/etc/passwd' }],
  ])(
    'refuses an unpriceable or unrunnable %s with 400 invalid_settings, reserving nothing',
    async (param, extra) => {
      const key = await createKey({ credits: 10_000 });
      const res = await api(key, '/v1/videos/animate', { body: { settings: at256(extra) } });
      expect(res.status, await res.clone().text()).toBe(400);
      const body = (await res.json()) as { error: { code: string; param: string } };
      expect(body.error).toMatchObject({ code: 'invalid_settings', param: `settings.${param}` });
      const usage = (await (await api(key, '/v1/usage')).json()) as { balance: number };
      expect(usage.balance).toBe(10_000);
    },
  );

  it('fixes a random seed when the job is made, so the runner runs what was priced', async () => {
    const key = await createKey({ credits: 10_000 });
    const res = await api(key, '/v1/videos/animate', { body: { settings: at256({ seed: -1 }) } });
    const job = (await res.json()) as { input: { settings: { seed: number } } };
    expect(job.input.settings.seed).toBeGreaterThanOrEqual(0);
  });

  it('needs the videos scope', async () => {
    const key = await createKey({ scopes: ['images', 'read'] });
    expect((await api(key, '/v1/videos/animate', { body: { settings } })).status).toBe(403);
  });
});
