import { SdedgeError } from '../errors.ts';
import type { ClipTokenizer } from './clip-tokenizer.ts';
import { isBreakMarker, parsePromptAttention } from './prompt-attention.ts';

/** One text-encoder input: BOS + up to 75 tokens + EOS, padded to 77, with a weight per token. */
export interface WeightedChunk {
  ids: number[];
  weights: number[];
}

export interface TokenizeWeightedOptions {
  /** Tokens per chunk between BOS and EOS (75 for CLIP's 77). */
  chunkLength?: number;
  /** Pad with empty chunks up to this count (to match a prompt with its negative prompt). */
  minChunks?: number;
  /**
   * When a chunk fills up and a comma lies within this many tokens of its end, the tokens after
   * the comma move to the next chunk so phrases are not split (AUTOMATIC1111's default: 20).
   * 0 turns it off.
   */
  commaPaddingBacktrack?: number;
}

/**
 * Splits a prompt with AUTOMATIC1111 emphasis into 77-token chunks with per-token weights, so
 * prompts longer than 75 tokens are encoded chunk by chunk instead of being cut off.
 */
export function tokenizeWeighted(
  tokenizer: ClipTokenizer,
  prompt: string,
  options: TokenizeWeightedOptions = {},
): WeightedChunk[] {
  const chunkLength = options.chunkLength ?? tokenizer.modelMaxLength - 2;
  const backtrack = options.commaPaddingBacktrack ?? 20;
  const minChunks = options.minChunks ?? 1;
  assertCount('chunkLength', chunkLength, 1);
  assertCount('commaPaddingBacktrack', backtrack, 0);
  assertCount('minChunks', minChunks, 1);
  const commaId = tokenizer.encode(',')[0];

  const chunks: WeightedChunk[] = [];
  let ids: number[] = [];
  let weights: number[] = [];
  let lastComma = -1;
  const closeChunk = () => {
    chunks.push(wrapChunk(tokenizer, ids, weights, chunkLength));
    ids = [];
    weights = [];
    lastComma = -1;
  };

  for (const piece of parsePromptAttention(prompt)) {
    if (isBreakMarker(piece)) {
      closeChunk();
      continue;
    }
    const [text, weight] = piece;
    for (const id of tokenizer.encode(text)) {
      // Same order as AUTOMATIC1111: a comma arriving at a full chunk is not a backtrack point.
      if (id === commaId) {
        lastComma = ids.length;
      } else if (
        backtrack > 0 &&
        ids.length === chunkLength &&
        lastComma !== -1 &&
        ids.length - lastComma <= backtrack
      ) {
        const movedIds = ids.splice(lastComma + 1);
        const movedWeights = weights.splice(lastComma + 1);
        closeChunk();
        ids = movedIds;
        weights = movedWeights;
      }
      if (ids.length === chunkLength) closeChunk();
      ids.push(id);
      weights.push(weight);
    }
  }
  if (ids.length > 0 || chunks.length === 0) closeChunk();
  while (chunks.length < minChunks) chunks.push(wrapChunk(tokenizer, [], [], chunkLength));
  return chunks;
}

/** Tokenizes a prompt and its negative prompt to the same number of chunks. */
export function tokenizeWeightedPair(
  tokenizer: ClipTokenizer,
  prompt: string,
  negativePrompt: string,
  options: Omit<TokenizeWeightedOptions, 'minChunks'> = {},
): { prompt: WeightedChunk[]; negative: WeightedChunk[] } {
  const [positive, negative] = equalizeChunks(tokenizer, [
    tokenizeWeighted(tokenizer, prompt, options),
    tokenizeWeighted(tokenizer, negativePrompt, options),
  ]);
  return { prompt: positive, negative };
}

/** Pads each list with empty chunks to the longest list's count (in place; returns the lists). */
export function equalizeChunks(
  tokenizer: ClipTokenizer,
  lists: WeightedChunk[][],
): WeightedChunk[][] {
  const count = Math.max(...lists.map((l) => l.length));
  for (const chunks of lists) {
    const chunkLength = chunks[0].ids.length - 2;
    while (chunks.length < count) chunks.push(wrapChunk(tokenizer, [], [], chunkLength));
  }
  return lists;
}

function wrapChunk(
  tokenizer: ClipTokenizer,
  ids: number[],
  weights: number[],
  chunkLength: number,
): WeightedChunk {
  const padding = chunkLength - ids.length;
  return {
    ids: [
      tokenizer.bosTokenId,
      ...ids,
      tokenizer.eosTokenId,
      ...Array(padding).fill(tokenizer.padTokenId),
    ],
    weights: [1, ...weights, 1, ...Array(padding).fill(1)],
  };
}

function assertCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new SdedgeError(
      'invalid_argument',
      `${name} must be an integer >= ${min}, got ${value}.`,
    );
  }
}
