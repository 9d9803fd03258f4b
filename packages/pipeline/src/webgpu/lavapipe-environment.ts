import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where scripts/setup-lavapipe.sh unpacks Mesa's software Vulkan driver. */
export function lavapipeDir(): string {
  return (
    process.env.SDEDGE_LAVAPIPE_DIR ??
    fileURLToPath(new URL('../../../../.cache/lavapipe', import.meta.url))
  );
}

/**
 * The environment that points the Vulkan loader at the project-local lavapipe: only when it has
 * been set up, no Vulkan ICD is configured already, and the system has no Vulkan driver of its
 * own (a real GPU's driver must win). These must be set before the process starts, since the
 * dynamic loader reads LD_LIBRARY_PATH once.
 */
export function lavapipeEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> | null {
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || systemHasVulkanDriver()) return null;
  const dir = lavapipeDir();
  const icd = join(dir, 'lvp_icd.json');
  if (!existsSync(icd)) return null;
  const lib = join(dir, 'root', 'usr', 'lib', 'x86_64-linux-gnu');
  return {
    VK_ICD_FILENAMES: icd,
    LD_LIBRARY_PATH: env.LD_LIBRARY_PATH ? `${lib}:${env.LD_LIBRARY_PATH}` : lib,
  };
}

function systemHasVulkanDriver(): boolean {
  for (const dir of ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d']) {
    try {
      if (readdirSync(dir).some((f) => f.endsWith('.json'))) return true;
    } catch {
      // no such folder
    }
  }
  return false;
}

/**
 * Runs this same command again with lavapipe in its environment, when WebGPU needs it (see
 * lavapipeEnvironment); returns the child's exit code, or null when this process can go on.
 */
export function rerunWithLavapipe(): number | null {
  if (process.env.SDEDGE_LAVAPIPE_RERUN) return null;
  const env = lavapipeEnvironment();
  if (!env) return null;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...env, SDEDGE_LAVAPIPE_RERUN: '1' },
  });
  return child.status ?? 1;
}
