import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from '@sdedge/sdk';
import { SdedgeError } from '../errors.ts';

/**
 * The CLI's remote mode (`--api URL` or $SDEDGE_API_URL, key from $SDEDGE_API_KEY): the same
 * commands and flags, run by the sdedge API through the SDK instead of on this machine.
 */
export interface RemoteTarget {
  apiUrl: string;
  apiKey: string;
}

/** `--api URL` (removed from the args) or $SDEDGE_API_URL; null for local mode. */
export function remoteTarget(args: string[]): { target: RemoteTarget | null; rest: string[] } {
  const rest = [...args];
  let apiUrl = process.env.SDEDGE_API_URL;
  const at = rest.findIndex((a) => a === '--api' || a.startsWith('--api='));
  if (at >= 0) {
    const flag = rest[at] ?? '';
    apiUrl = flag.includes('=') ? flag.slice(6) : rest[at + 1];
    rest.splice(at, flag.includes('=') ? 1 : 2);
    if (!apiUrl) throw new SdedgeError('invalid_argument', '--api needs a URL.');
  }
  if (!apiUrl) return { target: null, rest };
  const apiKey = process.env.SDEDGE_API_KEY;
  if (!apiKey)
    throw new SdedgeError(
      'invalid_argument',
      `Remote mode (${apiUrl}) needs SDEDGE_API_KEY set to an API key.`,
    );
  return { target: { apiUrl, apiKey }, rest };
}

export interface RemoteImageFlags {
  mode: 'txt2img' | 'img2img' | 'inpaint';
  prompt: string;
  output: string[];
  model?: string;
  negative: string;
  steps: number;
  cfg: number;
  sampler: string;
  seed?: number;
  width?: number;
  height?: number;
  batch: number;
  image?: string;
  mask?: string;
  strength?: number;
}

export async function remoteGenerate(
  target: RemoteTarget,
  flags: RemoteImageFlags,
  outputPaths: (n: number) => string[],
) {
  const sd = await client(target);
  const options = {
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.negative ? { negativePrompt: flags.negative } : {}),
    steps: flags.steps,
    guidanceScale: flags.cfg,
    sampler: flags.sampler as never,
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.width ? { width: flags.width } : {}),
    ...(flags.height ? { height: flags.height } : {}),
    n: flags.batch,
    ...(flags.strength !== undefined ? { strength: flags.strength } : {}),
    onProgress: progressBar,
    signal: interruptSignal(),
  };
  const need = (path: string | undefined, flag: string) => {
    if (!path) throw new SdedgeError('invalid_argument', `${flag} FILE is required.`);
    return path;
  };
  const result = await run(() =>
    flags.mode === 'txt2img'
      ? sd.txt2img(flags.prompt, options)
      : flags.mode === 'img2img'
        ? sd.img2img(need(flags.image, '--image'), flags.prompt, options)
        : sd.inpaint(
            need(flags.image, '--image'),
            need(flags.mask, '--mask'),
            flags.prompt,
            options,
          ),
  );
  const paths = outputPaths(result.images.length);
  for (const [i, image] of result.images.entries()) {
    await writeFile(paths[i] ?? `out-${i}.png`, await image.bytes());
    console.log(`wrote ${paths[i]} (seed ${image.seed}, ${image.width}x${image.height})`);
  }
  console.log(
    `job ${result.job.id} on ${target.apiUrl}: ${result.job.usage.credits} credits, runner ${result.job.usage.runner_seconds?.toFixed(2)} s`,
  );
}

export async function remoteAnimate(
  target: RemoteTarget,
  settingsPath: string,
  out: string,
  model?: string,
) {
  let settings: Record<string, unknown>;
  try {
    settings = JSON.parse(await readFile(settingsPath, 'utf8'));
  } catch (error) {
    throw new SdedgeError(
      'invalid_settings',
      `Cannot read ${settingsPath}: ${(error as Error).message}`,
    );
  }
  const sd = await client(target);
  const { job, video } = await run(() =>
    sd.animate(settings, {
      ...(model ? { model } : {}),
      onProgress: progressBar,
      signal: interruptSignal(),
    }),
  );
  await mkdir(out, { recursive: true });
  const file = join(out, video.contentType === 'image/gif' ? 'video.gif' : 'video.mp4');
  await writeFile(file, await video.bytes());
  console.log(`wrote ${file} (job ${job.id} on ${target.apiUrl}, seed ${video.seed})`);
}

async function client(target: RemoteTarget) {
  const { Sdedge } = await import('@sdedge/sdk');
  return new Sdedge({ apiKey: target.apiKey, baseUrl: target.apiUrl });
}

/** The API's and the SDK's errors become the CLI's one error shape (code and message). */
async function run<T>(call: () => Promise<T>): Promise<T> {
  const sdk = await import('@sdedge/sdk');
  try {
    return await call();
  } catch (error) {
    process.stderr.write('\n');
    if (error instanceof sdk.APIError)
      throw new SdedgeError('remote_error', error.message, {
        remote: error.code,
      });
    if (error instanceof sdk.JobFailedError)
      throw new SdedgeError('remote_error', error.message, {
        remote: error.code,
      });
    if (error instanceof sdk.SdedgeError) throw new SdedgeError('remote_error', error.message);
    throw error;
  }
}

function progressBar(p: Progress) {
  const width = 20;
  const done = Math.round((p.step / p.totalSteps) * width);
  const frame = p.frames ? ` frame ${(p.frame ?? 0) + 1}/${p.frames}` : '';
  process.stderr.write(
    `\r[${'#'.repeat(done)}${'-'.repeat(width - done)}] step ${p.step}/${p.totalSteps}${frame}   `,
  );
  if (p.step === p.totalSteps && (!p.frames || (p.frame ?? 0) + 1 === p.frames))
    process.stderr.write('\n');
}

/** Ctrl-C cancels the remote job (the SDK cancels it on the server) instead of leaving it running. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  return controller.signal;
}
