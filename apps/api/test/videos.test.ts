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

  it('needs the videos scope', async () => {
    const key = await createKey({ scopes: ['images', 'read'] });
    expect((await api(key, '/v1/videos/animate', { body: { settings } })).status).toBe(403);
  });
});
