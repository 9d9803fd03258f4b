import { SdedgeError } from '../errors.ts';
import { GENERATION_DEFAULTS } from '../pipelines/generation-defaults.ts';
import { SCHEDULER_NAMES } from '../schedulers/create-scheduler.ts';

/**
 * Each command's options with their help, in one place: `--help` prints them, and a command
 * refuses options it does not take (parseArgs alone would accept another command's options).
 */
export interface OptionHelp {
  value?: string;
  default?: string;
  help: string;
}

const generation: Record<string, OptionHelp> = {
  output: { value: 'FILE', default: 'out.png', help: 'where to write (a batch: out-0.png, ...)' },
  model: { value: 'DIR', default: 'sdedge-micro (embedded)', help: 'a diffusers ONNX folder' },
  negative: { value: 'TEXT', default: '""', help: 'negative prompt' },
  steps: { value: 'N', default: String(GENERATION_DEFAULTS.steps), help: 'denoising steps, 1-150' },
  cfg: {
    value: 'S',
    default: String(GENERATION_DEFAULTS.guidanceScale),
    help: 'guidance scale, 0-30 (0 or 1: no unconditional pass)',
  },
  sampler: {
    value: 'NAME',
    default: GENERATION_DEFAULTS.sampler,
    help: `one of ${SCHEDULER_NAMES.join(', ')}, or AUTOMATIC1111's name ("DPM++ 2M Karras"); sdedge-micro draws well with ddim, euler, heun, dpmpp_2m(_karras) and euler_a (see its model card)`,
  },
  seed: {
    value: 'N',
    default: 'random',
    help: '0 to 2^64-1; -1 is random too (as in AUTOMATIC1111)',
  },
  width: { value: 'W', default: "the model's size", help: 'a multiple of 8' },
  height: { value: 'H', default: "the model's size", help: 'a multiple of 8' },
  batch: {
    value: 'N',
    default: String(GENERATION_DEFAULTS.batchSize),
    help: 'images, 1-8 (seeds seed, seed+1, ...)',
  },
  'clip-skip': { value: 'N', default: '1', help: 'text encoder layers to skip from the end' },
  'execution-provider': {
    value: 'LIST',
    default: 'cpu',
    help: 'ONNX Runtime providers in order: cuda, webgpu, cpu',
  },
  api: {
    value: 'URL',
    default: '$SDEDGE_API_URL',
    help: 'run on an sdedge API (key: $SDEDGE_API_KEY)',
  },
  quiet: { help: 'no progress lines' },
  json: { help: 'print one JSON object (files, seeds, model, timings) instead of text' },
};
const image = {
  image: { value: 'FILE', help: 'the input image (PNG or JPEG)' },
  strength: {
    value: 'S',
    default: String(GENERATION_DEFAULTS.img2imgStrength),
    help: '0 keeps the image, 1 ignores it',
  },
};
const mask = {
  mask: { value: 'FILE', help: 'white where to repaint, black where to keep' },
  'mask-blur': {
    value: 'PX',
    default: String(GENERATION_DEFAULTS.maskBlur),
    help: 'feathering of the mask edge',
  },
};

export const COMMAND_HELP: Record<
  string,
  { synopsis: string; options: Record<string, OptionHelp> }
> = {
  txt2img: { synopsis: 'txt2img "prompt" [options]   generate an image', options: generation },
  img2img: {
    synopsis: 'img2img "prompt" --image FILE [options]   transform an image',
    options: { ...generation, ...image },
  },
  inpaint: {
    synopsis: 'inpaint "prompt" --image FILE --mask FILE [options]   repaint the masked part',
    options: {
      ...generation,
      ...image,
      strength: { ...image.strength, default: String(GENERATION_DEFAULTS.inpaintStrength) },
      ...mask,
    },
  },
  animate: {
    synopsis: 'animate settings.json [options]   render Deforum settings to frames, MP4 and GIF',
    options: {
      output: { value: 'DIR', default: 'animation', help: 'folder for the frames and videos' },
      model: generation.model as OptionHelp,
      'execution-provider': generation['execution-provider'] as OptionHelp,
      api: generation.api as OptionHelp,
    },
  },
  'make-tiny-model': {
    synopsis: 'make-tiny-model DIR [options]   a tiny random Stable Diffusion for tests',
    options: {
      variant: { value: 'NAME', default: 'sd15', help: 'sd15, sd15-int64, sd2-v, inpaint, fp16' },
      seed: { value: 'N', default: '0', help: 'weights seed' },
      force: { help: 'write into a folder that is not empty' },
    },
  },
  tokenize: {
    synopsis: 'tokenize "prompt" --tokenizer DIR   CLIP token ids and weights, chunk by chunk',
    options: { tokenizer: { value: 'DIR', help: 'a folder with vocab.json and merges.txt' } },
  },
  randn: {
    synopsis: 'randn [options]   torch.randn noise for a seed (first values and stats)',
    options: {
      seed: { value: 'N', default: '0', help: 'torch seed' },
      shape: { value: 'DIMS', default: '1,4,64,64', help: 'comma-separated positive sizes' },
    },
  },
};

export function commandUsage(command: string): string {
  const entry = COMMAND_HELP[command];
  if (!entry) return '';
  const rows = Object.entries(entry.options).map(([name, o]) => {
    const flag = `--${name}${o.value ? ` ${o.value}` : ''}${name === 'output' ? ', -o' : ''}`;
    return `  ${flag.padEnd(28)} ${o.help}${o.default ? ` (default: ${o.default})` : ''}`;
  });
  return `Usage: sdedge ${entry.synopsis}\n\nOptions:\n${rows.join('\n')}\n  --help, -h                   this text\n`;
}

/** Refuses an option the command does not take (`txt2img --strength`), before any work. */
export function refuseForeignOptions(command: string, args: string[]) {
  const own = COMMAND_HELP[command]?.options ?? {};
  for (const arg of args) {
    if (arg === '--') break;
    const name = /^--([^=]+)/.exec(arg)?.[1];
    if (name && !Object.hasOwn(own, name))
      throw new SdedgeError(
        'invalid_argument',
        `${command} does not take --${name} (see sdedge ${command} --help).`,
      );
  }
}

/**
 * `--seed -1` as `--seed=-1`: parseArgs reads a value that starts with "-" as another option
 * and refuses it as ambiguous; a negative number is a value.
 */
export function joinNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if (/^--[^=]+$/.test(arg) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}
