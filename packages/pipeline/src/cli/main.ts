import { parseArgs } from 'node:util';
import { SdedgeError } from '../errors.ts';
import { TorchGenerator } from '../random/torch-generator.ts';
import { ClipTokenizer } from '../text/clip-tokenizer.ts';
import { tokenizeWeighted } from '../text/weighted-tokens.ts';

const USAGE = `Usage: sdedge <command> [options]

Commands:
  tokenize <prompt> --tokenizer DIR   CLIP token ids and weights of a prompt, chunk by chunk
  randn --seed N --shape 1,4,64,64    torch.randn noise for a seed (first values and stats)
`;

type Command = (args: string[]) => Promise<void>;

const commands: Record<string, Command> = {
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
  const [name, ...args] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(
      name && name !== '--help' ? `Unknown command "${name}".\n${USAGE}` : USAGE,
    );
    return name && name !== '--help' ? 2 : 0;
  }
  try {
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
