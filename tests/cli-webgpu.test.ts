import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '@sdedge/pipeline';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from './helpers.ts';

const hasSystemVulkan = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'].some(
  (d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')),
);
const hasLavapipe = existsSync(join(REPO_ROOT, '.cache/lavapipe/lvp_icd.json'));
if (!hasSystemVulkan && !hasLavapipe)
  console.warn(
    '[skip] no Vulkan driver and no lavapipe (scripts/setup-lavapipe.sh): WebGPU CLI test skipped',
  );

describe.skipIf(!hasSystemVulkan && !hasLavapipe)(
  'sdedge txt2img --execution-provider webgpu',
  () => {
    it('generates on WebGPU and names the adapter', () => {
      const work = mkdtempSync(join(tmpdir(), 'sdedge-webgpu-cli-'));
      const out = join(work, 'gpu.png');
      const { status, stdout, stderr } = run(
        'npx',
        [
          '--no-install',
          'sdedge',
          'txt2img',
          'a red circle',
          '--steps',
          '2',
          '--seed',
          '1',
          '--execution-provider',
          'webgpu',
          '-o',
          out,
        ],
        180_000,
        { SDEDGE_CACHE_DIR: join(work, 'cache') },
      );
      expect(status, stderr).toBe(0);
      expect(stdout).toContain('UNet: webgpu');
      expect(stdout).toMatch(/WebGPU adapter: .+/);
      expect(decodeImage(new Uint8Array(readFileSync(out))).width).toBe(64);
    });
  },
);
