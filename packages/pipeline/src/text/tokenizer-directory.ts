import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SdedgeError } from '../errors.ts';
import type { ClipTokenizerOptions } from './clip-tokenizer.ts';
import { invalidFile, parseMerges, parseSpecialTokens, parseVocab } from './tokenizer-files.ts';

/** Reads a Hugging Face CLIP tokenizer folder into constructor options (Node only). */
export async function readTokenizerDirectory(dir: string): Promise<ClipTokenizerOptions> {
  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  const vocab = parseVocab(parseJson(await readRequired(vocabPath), vocabPath), vocabPath);
  const merges = parseMerges(await readRequired(mergesPath), mergesPath);
  let special = {};
  // tokenizer_config.json is read first so special_tokens_map.json wins where both set a token.
  for (const name of ['tokenizer_config.json', 'special_tokens_map.json']) {
    const path = join(dir, name);
    const text = await readOptional(path);
    if (text !== undefined) {
      const parsed = parseSpecialTokens(parseJson(text, path), path);
      special = { ...special, ...withoutUndefined(parsed) };
    }
  }
  return { vocab, merges, ...special };
}

async function readRequired(path: string): Promise<string> {
  const text = await readOptional(path);
  if (text === undefined) {
    throw new SdedgeError('tokenizer_file_missing', `Tokenizer file not found: ${path}.`, {
      file: path,
    });
  }
  return text;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SdedgeError(
      'tokenizer_file_invalid',
      `Cannot read tokenizer file ${path}: ${(error as Error).message}.`,
      {
        file: path,
      },
    );
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidFile(path, `not valid JSON (${(error as Error).message})`);
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
