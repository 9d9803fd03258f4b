import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SdedgeError } from '../errors.ts';
import { decodeImage } from '../image/image-codecs.ts';
import { loadPipeline } from '../node.ts';
import { GENERATION_DEFAULTS } from '../pipelines/generation-defaults.ts';
import type { GenerationResult } from '../pipelines/stable-diffusion-pipeline.ts';
import type { SchedulerName } from '../schedulers/create-scheduler.ts';
import { defaultModelDir } from './default-model.ts';
import { checkedProviders } from './execution-providers.ts';
import { type RemoteTarget, remoteGenerate, remoteTarget } from './remote-commands.ts';

/** What parseArgs reads for txt2img, img2img and inpaint (their help: cli-options.ts). */
export const GENERATION_OPTIONS = {
  model: { type: 'string' },
  output: { type: 'string', short: 'o', default: 'out.png' },
  negative: { type: 'string', default: '' },
  steps: { type: 'string', default: String(GENERATION_DEFAULTS.steps) },
  cfg: { type: 'string', default: String(GENERATION_DEFAULTS.guidanceScale) },
  sampler: { type: 'string', default: GENERATION_DEFAULTS.sampler },
  seed: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  batch: { type: 'string', default: String(GENERATION_DEFAULTS.batchSize) },
  'clip-skip': { type: 'string', default: '1' },
  'execution-provider': { type: 'string' },
  image: { type: 'string' },
  mask: { type: 'string' },
  strength: { type: 'string' },
  'mask-blur': { type: 'string', default: String(GENERATION_DEFAULTS.maskBlur) },
  quiet: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

export type GenerationMode = 'txt2img' | 'img2img' | 'inpaint';

/** `sdedge txt2img|img2img|inpaint "prompt" [options]`: generates and writes PNGs. */
export async function generateCommand(mode: GenerationMode, argv: string[]): Promise<void> {
  const { target: remote, rest: args } = remoteTarget(argv);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: GENERATION_OPTIONS,
  });
  if (positionals.length !== 1)
    throw new SdedgeError('invalid_argument', `${mode} takes exactly one prompt (quote it).`);
  // -1 is a random seed, as in AUTOMATIC1111 (the seed drawn is printed with each image).
  if (values.seed === '-1') values.seed = undefined;
  // Before the render: a folder that does not exist is made, one that cannot be fails now.
  await mkdir(dirname(resolve(values.output)), { recursive: true });
  if (remote) return generateRemotely(remote, mode, positionals[0] ?? '', values);
  const started = performance.now();
  const modelDir = values.model ?? (await defaultModelDir());
  const pipeline = await loadPipeline(modelDir, {
    ...(values['execution-provider']
      ? { executionProviders: checkedProviders(values['execution-provider']) }
      : {}),
  });
  const loadMs = performance.now() - started;
  warnIfFarFromTrainedSize(pipeline.defaultSize, values.width, values.height);
  try {
    const common = {
      prompt: positionals[0],
      negativePrompt: values.negative,
      steps: toNumber(values.steps, 'steps'),
      guidanceScale: toNumber(values.cfg, 'cfg'),
      sampler: values.sampler as SchedulerName,
      ...(values.seed !== undefined ? { seed: toNumber(values.seed, 'seed') } : {}),
      batchSize: toNumber(values.batch, 'batch'),
      clipSkip: toNumber(values['clip-skip'], 'clip-skip'),
      onStep: stepReporter(values.quiet || values.json),
    };
    let result: GenerationResult;
    if (mode === 'txt2img') {
      result = await pipeline.txt2img({
        ...common,
        ...(values.width ? { width: toNumber(values.width, 'width') } : {}),
        ...(values.height ? { height: toNumber(values.height, 'height') } : {}),
      });
    } else {
      const image = await readImage(values.image, '--image');
      const strength =
        values.strength === undefined ? undefined : toNumber(values.strength, 'strength');
      result =
        mode === 'img2img'
          ? await pipeline.img2img({ ...common, image, strength })
          : await pipeline.inpaint({
              ...common,
              image,
              mask: await readImage(values.mask, '--mask'),
              maskBlur: toNumber(values['mask-blur'], 'mask-blur'),
              strength,
            });
    }
    for (const warning of result.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
    const paths = outputPaths(values.output, result.images.length);
    for (const [i, generated] of result.images.entries())
      await writeFile(paths[i], generated.toPng());
    if (values.json) {
      // One JSON object on stdout, for scripts: the files, their seeds, the model, the timings.
      const images = result.images.map((generated, i) => ({
        path: paths[i],
        seed: generated.seed,
        width: generated.image.width,
        height: generated.image.height,
      }));
      const timings = { load: loadMs, ...result.timings };
      console.log(
        JSON.stringify({
          images,
          model: modelDir,
          executionProviders: pipeline.executionProviders,
          timings,
          warnings: result.warnings ?? [],
        }),
      );
      return;
    }
    for (const [i, generated] of result.images.entries())
      console.log(
        `wrote ${paths[i]} (seed ${generated.seed}, ${generated.image.width}x${generated.image.height})`,
      );
    console.log(`model ${modelDir} (${pipeline.executionProviders.join(', ')})`);
    if (pipeline.executionProviders.some((p) => p.endsWith('webgpu'))) {
      const { describeWebGpuAdapter } = await import('../webgpu/adapter-info.ts');
      const adapter = await describeWebGpuAdapter();
      if (adapter)
        console.log(
          `WebGPU adapter: ${adapter.description} (${adapter.vendor}${adapter.isFallbackAdapter ? ', software' : ''})`,
        );
    }
    console.log(formatTimings({ load: loadMs, ...result.timings }));
  } finally {
    await pipeline.dispose();
  }
}

type Flags = ReturnType<
  typeof parseArgs<{ options: typeof GENERATION_OPTIONS; allowPositionals: true }>
>['values'];

/** The same flags, run by the API; the flags that only mean something locally are refused. */
function generateRemotely(
  remote: RemoteTarget,
  mode: GenerationMode,
  prompt: string,
  values: Flags,
) {
  const localOnly = [
    ['execution-provider', values['execution-provider'] !== undefined],
    ['json', values.json],
    ['quiet', values.quiet],
    ['clip-skip', values['clip-skip'] !== '1'],
    ['mask-blur', values['mask-blur'] !== String(GENERATION_DEFAULTS.maskBlur)],
  ].filter(([, given]) => given);
  if (localOnly.length > 0)
    throw new SdedgeError(
      'invalid_argument',
      `--${localOnly.map(([name]) => name).join(', --')} only work locally (the API does not take them).`,
    );
  return remoteGenerate(
    remote,
    {
      mode,
      prompt,
      output: [values.output],
      ...(values.model ? { model: values.model } : {}),
      negative: values.negative,
      steps: toNumber(values.steps, 'steps'),
      cfg: toNumber(values.cfg, 'cfg'),
      sampler: values.sampler,
      ...(values.seed !== undefined ? { seed: toNumber(values.seed, 'seed') } : {}),
      ...(values.width ? { width: toNumber(values.width, 'width') } : {}),
      ...(values.height ? { height: toNumber(values.height, 'height') } : {}),
      batch: toNumber(values.batch, 'batch'),
      ...(values.image ? { image: values.image } : {}),
      ...(values.mask ? { mask: values.mask } : {}),
      ...(values.strength !== undefined ? { strength: toNumber(values.strength, 'strength') } : {}),
    },
    (n) => outputPaths(values.output, n),
  );
}

async function readImage(path: string | undefined, flag: string) {
  if (!path) throw new SdedgeError('invalid_argument', `${flag} FILE is required.`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new SdedgeError('invalid_image', `Cannot read ${path}: ${(error as Error).message}`);
  }
  return decodeImage(bytes);
}

function toNumber(text: string, name: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new SdedgeError('invalid_argument', `--${name} must be a number, got "${text}".`);
  }
  return value;
}

/** out.png for one image; out-0.png, out-1.png, ... for a batch. */
function outputPaths(output: string, count: number): string[] {
  if (count === 1) return [output];
  const dot = output.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [output.slice(0, dot), output.slice(dot)] : [output, '.png'];
  return Array.from({ length: count }, (_, i) => `${stem}-${i}${ext}`);
}

function formatTimings(ms: Record<string, number>): string {
  const order = [
    'load',
    'tokenize',
    'textEncoder',
    'vaeEncode',
    'unet',
    'scheduler',
    'vaeDecode',
    'total',
  ];
  const parts = order.filter((k) => ms[k] !== undefined).map((k) => `${k} ${ms[k].toFixed(1)} ms`);
  const overhead = ms.total - ms.ort;
  return `timings: ${parts.join(', ')}; outside ONNX Runtime ${overhead.toFixed(1)} ms`;
}

/**
 * A model draws well near the size it was trained at; far from it (sdedge-micro, trained at 64,
 * asked for 512, tiles dozens of small shapes) it does not, so say so.
 */
function warnIfFarFromTrainedSize(trained: number, width?: string, height?: string) {
  const sizes = [width, height].filter((v) => v !== undefined).map(Number);
  const far = sizes.filter((size) => size >= trained * 2 || size <= trained / 2);
  if (far.length > 0)
    process.stderr.write(
      `warning: this model was trained at ${trained}x${trained}; at ${width ?? trained}x${height ?? trained} expect repeated or broken shapes.\n`,
    );
}

/**
 * Step progress on stderr: one line rewritten in place on a terminal; elsewhere (a log, a pipe)
 * a plain line per step; nothing with --quiet or --json.
 */
function stepReporter(silent: boolean) {
  const live = process.stderr.isTTY === true;
  return ({ step, totalSteps }: { step: number; totalSteps: number }) => {
    if (silent) return;
    if (!live) process.stderr.write(`step ${step}/${totalSteps}\n`);
    else {
      process.stderr.write(`\rstep ${step}/${totalSteps}`);
      if (step === totalSteps) process.stderr.write('\n');
    }
  };
}
