import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'sdedge-animate-'));
const env = { SDEDGE_CACHE_DIR: join(work, 'cache') };

describe('sdedge animate', () => {
  it('renders a Deforum settings file to frames, MP4 and GIF', () => {
    const settings = join(work, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        animation_mode: '2D',
        max_frames: 8,
        W: 64,
        H: 64,
        seed: 4,
        steps: 3,
        fps: 8,
        diffusion_cadence: 2,
        zoom: '0:(1.03)',
        angle: '0:(1)',
        prompts: { '0': 'a red circle --neg blurry', '4': 'a blue square' },
        use_depth_warping: true,
      }),
    );
    const out = join(work, 'out');
    const { status, stdout, stderr } = run(
      'npx',
      ['--no-install', 'sdedge', 'animate', settings, '-o', out],
      180_000,
      env,
    );
    expect(status, stderr).toBe(0);
    expect(stdout).toContain('ignored settings (not used by sdedge): use_depth_warping');
    expect(stdout).toMatch(/rendered 8 frames \(4 diffused\)/);
    const files = readdirSync(out);
    expect(files.filter((f) => f.startsWith('frame_'))).toHaveLength(8);
    expect(existsSync(join(out, 'video.mp4')) && existsSync(join(out, 'video.gif'))).toBe(true);
  });

  it('reports a bad schedule with its position', () => {
    const settings = join(work, 'bad.json');
    writeFileSync(
      settings,
      JSON.stringify({ max_frames: 4, W: 64, H: 64, zoom: '0:(1.0), 2:(1.1' }),
    );
    const { status, stderr } = run(
      'npx',
      ['--no-install', 'sdedge', 'animate', settings, '-o', join(work, 'bad')],
      60_000,
      env,
    );
    expect(status).toBe(1);
    expect(stderr).toContain('error [invalid_settings]: Deforum setting "zoom"');
    expect(stderr).toContain('never closed at position 11');
  });
});
