import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { SdedgeError } from '../errors.ts';
import { TorchGenerator } from '../random/torch-generator.ts';
import { ClipTokenizer } from '../text/clip-tokenizer.ts';
import { tokenizeWeighted } from '../text/weighted-tokens.ts';
import { commandUsage, joinNegativeValues, refuseForeignOptions } from './cli-options.ts';

/** This package's version (package.json sits two folders up from src/cli and dist/cli). */
function packageVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

const USAGE = `Usage: sdedge <command> [options]   (sdedge <command> --help: its options; --version)

Commands:
  txt2img "prompt" [-o out.png]          generate an image (default model: sdedge-micro, embedded)
      --model DIR --negative TEXT --steps N --cfg S --sampler NAME --seed N
      --width W --height H --batch N --clip-skip N --execution-provider cuda,cpu
  img2img "prompt" --image FILE [--strength 0.75] [same options]
  inpaint "prompt" --image FILE --mask FILE [--mask-blur 4] [--strength 1] [same options]
  animate settings.json [-o out/]         render a Deforum settings file to frames, MP4 and GIF
  make-tiny-model DIR [--variant sd15|sd15-int64|sd2-v|inpaint|fp16] [--seed N] [--force]
  tokenize "prompt" --tokenizer DIR      CLIP token ids and weights of a prompt, chunk by chunk
  randn --seed N --shape 1,4,64,64       torch.randn noise for a seed (first values and stats)

Remote: txt2img, img2img, inpaint and animate run on an sdedge API instead of this machine with
  --api URL (or SDEDGE_API_URL), the key in SDEDGE_API_KEY; --model then names an API model.
`;

type Command = (args: string[]) => Promise<void>;

const commands: Record<string, Command> = {
  txt2img: async (args) =>
    (await import('./generate-commands.ts')).generateCommand('txt2img', args),
  img2img: async (args) =>
    (await import('./generate-commands.ts')).generateCommand('img2img', args),
  inpaint: async (args) =>
    (await import('./generate-commands.ts')).generateCommand('inpaint', args),
  animate: async (args) => (await import('./animate-command.ts')).animateCommand(args),

  async 'make-tiny-model'(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        variant: { type: 'string', default: 'sd15' },
        seed: { type: 'string', default: '0' },
        force: { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 1)
      throw new SdedgeError('invalid_argument', 'make-tiny-model takes one output folder.');
    const dir = positionals[0] as string;
    if (!values.force && existsSync(dir) && readdirSync(dir).length > 0)
      throw new SdedgeError(
        'output_exists',
        `${dir} exists and is not empty; pass --force to write the model into it.`,
      );
    const { buildTinyModel } = await import('../tiny-model/tiny-model.ts');
    const start = performance.now();
    await buildTinyModel(positionals[0], {
      variant: values.variant as never,
      seed: Number(parseSeed(values.seed)),
    });
    console.log(
      `wrote the tiny ${values.variant} model to ${positionals[0]} in ${(performance.now() - start).toFixed(0)} ms`,
    );
  },

  async tokenize(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { tokenizer: { type: 'string' } },
    });
    if (positionals.length !== 1 || !values.tokenizer) {
      throw new SdedgeError('invalid_argument', 'tokenize needs one prompt and --tokenizer DIR.');
    }
    const tokenizer = await ClipTokenizer.fromDirectory(values.tokenizer);
    tokenizeWeighted(tokenizer, positionals[0]).forEach((chunk, i) => {
      const end = chunk.ids.indexOf(tokenizer.eosTokenId) + 1;
      const tokens = chunk.ids.slice(0, end).map((id, j) => {
        const weight = chunk.weights[j];
        return weight === 1 ? `${id}` : `${id}@${weight.toFixed(4)}`;
      });
      console.log(`chunk ${i}: ${tokens.join(' ')}`);
    });
  },

  async randn(args) {
    const { values } = parseArgs({
      args,
      options: {
        seed: { type: 'string', default: '0' },
        shape: { type: 'string', default: '1,4,64,64' },
      },
    });
    const shape = values.shape.split(',').map(Number);
    if (!shape.every((d) => Number.isInteger(d) && d > 0) || shape.reduce((a, b) => a * b, 1) > 1e8)
      throw new SdedgeError(
        'invalid_argument',
        `--shape must be positive whole sizes, at most 1e8 values in all (like 1,4,64,64), got "${values.shape}".`,
      );
    const noise = new TorchGenerator(parseSeed(values.seed)).randn(shape);
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
    const first = Array.from(noise.subarray(0, 8), (v) => v.toFixed(4));
    console.log(`shape [${shape}] first: ${first.join(', ')} mean: ${mean.toFixed(4)}`);
  },
};

function parseSeed(text: string): number | bigint {
  if (!/^\d+$/.test(text)) {
    throw new SdedgeError('invalid_seed', `Seed must be a non-negative integer, got "${text}".`);
  }
  const value = BigInt(text);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const provider = argv.find(
    (a, i) => argv[i - 1] === '--execution-provider' || a.startsWith('--execution-provider='),
  );
  if (provider?.includes('webgpu')) {
    const { rerunWithLavapipe } = await import('../webgpu/lavapipe-environment.ts');
    const status = rerunWithLavapipe();
    if (status !== null) return status;
  }
  const [name, ...given] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = name && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command && (given.includes('--help') || given.includes('-h'))) {
    process.stdout.write(commandUsage(name as string));
    return 0;
  }
  const args = joinNegativeValues(given);
  if (!command) {
    const help = !name || name === '--help' || name === '-h' || name === 'help';
    process.stderr.write(help ? USAGE : `Unknown command "${name}".\n${USAGE}`);
    return help ? 0 : 2;
  }
  try {
    refuseForeignOptions(name as string, args);
    await command(args);
    return 0;
  } catch (error) {
    if (error instanceof SdedgeError) {
      process.stderr.write(`error [${error.code}]: ${error.message}\n`);
      return 1;
    }
    if (
      error instanceof TypeError &&
      'code' in error &&
      String(error.code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`error [invalid_argument]: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}
