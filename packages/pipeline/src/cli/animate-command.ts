import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDeforumSettings } from '../animation/deforum-settings.ts';
import { encodeGif } from '../animation/gif-encoding.ts';
import { encodeMp4 } from '../animation/mp4-encoding.ts';
import { renderAnimation } from '../animation/render-animation.ts';
import { SdedgeError } from '../errors.ts';
import { decodeImage, encodePng } from '../image/image-codecs.ts';
import { loadPipeline } from '../node.ts';
import { defaultModelDir } from './default-model.ts';
import { checkedProviders } from './execution-providers.ts';
import { remoteAnimate, remoteTarget } from './remote-commands.ts';

/**
 * `sdedge animate settings.json -o out/`: renders a Deforum settings file to
 * out/frame_00000.png ..., out/video.mp4 and out/video.gif. Ctrl-C stops between steps and keeps
 * the frames made so far.
 */
export async function animateCommand(argv: string[]): Promise<void> {
  const { target: remote, rest: args } = remoteTarget(argv);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o', default: 'animation' },
      model: { type: 'string' },
      'execution-provider': { type: 'string' },
    },
  });
  if (positionals.length !== 1)
    throw new SdedgeError('invalid_argument', 'animate takes one Deforum settings JSON file.');
  if (remote) return remoteAnimate(remote, positionals[0] ?? '', values.output, values.model);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(positionals[0], 'utf8'));
  } catch (error) {
    throw new SdedgeError(
      'invalid_settings',
      `Cannot read ${positionals[0]}: ${(error as Error).message}`,
    );
  }
  const { settings, ignoredKeys } = loadDeforumSettings(raw);
  if (ignoredKeys.length > 0)
    console.log(`ignored settings (not used by sdedge): ${ignoredKeys.join(', ')}`);
  const initImage = settings.initImage
    ? decodeImage(new Uint8Array(await readFile(resolve(positionals[0], '..', settings.initImage))))
    : undefined;

  const out = values.output;
  await mkdir(out, { recursive: true });
  const pipeline = await loadPipeline(values.model ?? (await defaultModelDir()), {
    ...(values['execution-provider']
      ? { executionProviders: checkedProviders(values['execution-provider']) }
      : {}),
  });
  const controller = new AbortController();
  const stop = () => controller.abort('interrupted');
  process.once('SIGINT', stop);
  const started = performance.now();
  try {
    const written: Promise<void>[] = [];
    const result = await renderAnimation(pipeline, settings, {
      signal: controller.signal,
      initImage,
      onProgress: ({ frame, frames, step, totalSteps }) =>
        process.stderr.write(`\rframe ${frame + 1}/${frames} step ${step}/${totalSteps}   `),
      onFrame: (image, index) => {
        written.push(
          writeFile(join(out, `frame_${String(index).padStart(5, '0')}.png`), encodePng(image)),
        );
      },
    });
    await Promise.all(written);
    process.stderr.write('\n');
    if (result.frames.length > 0) {
      await writeFile(join(out, 'video.mp4'), await encodeMp4(result.frames, settings.fps));
      await writeFile(join(out, 'video.gif'), encodeGif(result.frames, settings.fps));
    }
    await writeFile(
      join(out, 'settings.json'),
      `${JSON.stringify({ ...(raw as object), seed: settings.seed }, null, 2)}\n`,
    );
    const status = result.canceled ? 'cancelled after' : 'rendered';
    console.log(
      `${status} ${result.frames.length} frames (${result.seeds.length} diffused) to ${out}/ in ${((performance.now() - started) / 1000).toFixed(1)} s; video.mp4 and video.gif at ${settings.fps} fps; seed ${settings.seed}`,
    );
  } finally {
    process.off('SIGINT', stop);
    await pipeline.dispose();
  }
}
