import { SdedgeError } from '../errors.ts';
import type { ClipTokenizerOptions } from './clip-tokenizer.ts';

/** Special tokens and limits read from `special_tokens_map.json` / `tokenizer_config.json`. */
export interface TokenizerSpecialTokens {
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  unkToken?: string;
  modelMaxLength?: number;
}

/** Parses `vocab.json` (token -> id); `label` names the file in errors. */
export function parseVocab(json: unknown, label: string): Map<string, number> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalidFile(label, 'expected a JSON object mapping tokens to ids');
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(json)) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw invalidFile(
        label,
        `the id of token ${JSON.stringify(token)} is not a non-negative integer`,
      );
    }
    vocab.set(token, id as number);
  }
  if (vocab.size === 0) throw invalidFile(label, 'the vocabulary is empty');
  return vocab;
}

/** Parses `merges.txt`: an optional `#version` header, then one `left right` pair per line. */
export function parseMerges(text: string, label: string): [string, string][] {
  const merges: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line === '' || (index === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw invalidFile(
        label,
        `line ${index + 1} is not a "left right" merge pair: ${JSON.stringify(line)}`,
      );
    }
    merges.push([parts[0], parts[1]]);
  });
  if (merges.length === 0) throw invalidFile(label, 'no merges found');
  return merges;
}

/** Reads special tokens from either Hugging Face file; values may be strings or `{content}`. */
export function parseSpecialTokens(json: unknown, label: string): TokenizerSpecialTokens {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalidFile(label, 'expected a JSON object');
  }
  const record = json as Record<string, unknown>;
  const token = (key: string): string | undefined => {
    const value = record[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
      return (value as { content: string }).content;
    }
    throw invalidFile(label, `"${key}" must be a string or an object with a "content" string`);
  };
  const maxLength = record.model_max_length;
  return {
    bosToken: token('bos_token'),
    eosToken: token('eos_token'),
    padToken: token('pad_token'),
    unkToken: token('unk_token'),
    // Some configs store a huge sentinel (1e30) meaning "no limit"; only take sane values.
    modelMaxLength:
      typeof maxLength === 'number' &&
      Number.isInteger(maxLength) &&
      maxLength >= 2 &&
      maxLength <= 4096
        ? maxLength
        : undefined,
  };
}

export function invalidFile(label: string, reason: string): SdedgeError {
  return new SdedgeError('tokenizer_file_invalid', `Invalid tokenizer file ${label}: ${reason}.`, {
    file: label,
  });
}

/**
 * Reads a tokenizer folder through `read` (file name -> text, undefined when absent): vocab.json
 * and merges.txt are required; tokenizer_config.json and special_tokens_map.json (which wins
 * where both set a token) are optional. `describe` names a file in errors.
 */
export async function readTokenizerFiles(
  read: (name: string) => Promise<string | undefined>,
  describe: (name: string) => string,
): Promise<ClipTokenizerOptions> {
  const required = async (name: string) => {
    let text: string | undefined;
    try {
      text = await read(name);
    } catch (error) {
      throw invalidFile(describe(name), `cannot be read (${(error as Error).message})`);
    }
    if (text === undefined) {
      throw new SdedgeError(
        'tokenizer_file_missing',
        `Tokenizer file not found: ${describe(name)}.`,
        {
          file: describe(name),
        },
      );
    }
    return text;
  };
  const json = (text: string, name: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw invalidFile(describe(name), `not valid JSON (${(error as Error).message})`);
    }
  };
  const vocab = parseVocab(
    json(await required('vocab.json'), 'vocab.json'),
    describe('vocab.json'),
  );
  const merges = parseMerges(await required('merges.txt'), describe('merges.txt'));
  let special: TokenizerSpecialTokens = {};
  for (const name of ['tokenizer_config.json', 'special_tokens_map.json']) {
    const text = await read(name);
    if (text === undefined) continue;
    const parsed = parseSpecialTokens(json(text, name), describe(name));
    for (const [key, value] of Object.entries(parsed)) {
      if (value !== undefined) special = { ...special, [key]: value };
    }
  }
  return { vocab, merges, ...special };
}
