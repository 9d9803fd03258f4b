import { SdedgeError } from '../errors.ts';
import { BytePairEncoder } from './bpe.ts';
import { BYTE_ENCODER, toByteSymbols } from './byte-encoder.ts';
import { cleanPromptText } from './text-cleaning.ts';
import {
  invalidFile,
  parseMerges,
  parseVocab,
  type TokenizerSpecialTokens,
} from './tokenizer-files.ts';

export interface ClipTokenizerOptions extends TokenizerSpecialTokens {
  /** `vocab.json`: token -> id. */
  vocab: Record<string, number> | Map<string, number>;
  /** `merges.txt` as text, or the merge pairs in priority order. */
  merges: string | readonly (readonly [string, string])[];
}

export interface TokenizeOptions {
  /** Total length including BOS and EOS; defaults to the model's (77 for CLIP). */
  maxLength?: number;
}

const DEFAULT_BOS = '<|startoftext|>';
const DEFAULT_EOS = '<|endoftext|>';
const DEFAULT_MAX_LENGTH = 77;
const WORD_CACHE_LIMIT = 50_000;
// CLIP's pre-tokenizer: special tokens, English contractions, letter runs, single digits, and runs
// of everything else that is neither space, letter nor number.
const PRE_TOKENIZER =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

/**
 * The CLIP tokenizer of Stable Diffusion's text encoder: OpenAI's text cleaning, byte-level BPE
 * with `</w>` end-of-word markers, the vocabulary and special tokens from the model's files.
 */
export class ClipTokenizer {
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  /** EOS (49407) for SD 1.x tokenizers; 0 for SD 2.x, whose pad token is "!". */
  readonly padTokenId: number;
  readonly unkTokenId: number;
  readonly modelMaxLength: number;

  private readonly vocab: Map<string, number>;
  private readonly idToToken: Map<number, string>;
  private readonly bpe: BytePairEncoder;
  private readonly wordCache = new Map<string, readonly number[]>();
  private readonly specialTokenIds: Map<string, number>;

  constructor(options: ClipTokenizerOptions) {
    this.vocab = options.vocab instanceof Map ? options.vocab : parseVocab(options.vocab, 'vocab');
    this.bpe = new BytePairEncoder(
      typeof options.merges === 'string' ? parseMerges(options.merges, 'merges') : options.merges,
    );
    const idOf = (token: string, role: string) => {
      const id = this.vocab.get(token);
      if (id === undefined) {
        throw invalidFile(
          'vocab',
          `the ${role} token ${JSON.stringify(token)} is not in the vocabulary`,
        );
      }
      return id;
    };
    const eos = options.eosToken ?? DEFAULT_EOS;
    this.bosTokenId = idOf(options.bosToken ?? DEFAULT_BOS, 'BOS');
    this.eosTokenId = idOf(eos, 'EOS');
    this.padTokenId = idOf(options.padToken ?? eos, 'pad');
    this.unkTokenId = idOf(options.unkToken ?? eos, 'unknown');
    this.modelMaxLength = options.modelMaxLength ?? DEFAULT_MAX_LENGTH;
    this.specialTokenIds = new Map([
      [DEFAULT_BOS, this.vocab.get(DEFAULT_BOS) ?? this.unkTokenId],
      [DEFAULT_EOS, this.vocab.get(DEFAULT_EOS) ?? this.unkTokenId],
    ]);
    this.idToToken = new Map();
    for (const [token, id] of this.vocab)
      if (!this.idToToken.has(id)) this.idToToken.set(id, token);
  }

  /**
   * Loads `vocab.json`, `merges.txt` and, when present, `special_tokens_map.json` and
   * `tokenizer_config.json` from a model's `tokenizer/` folder (Node only).
   */
  static async fromDirectory(dir: string): Promise<ClipTokenizer> {
    const { readTokenizerDirectory } = await import('./tokenizer-directory.ts');
    return new ClipTokenizer(await readTokenizerDirectory(dir));
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  /** Token ids of `text`, without BOS/EOS, with no length limit. */
  encode(text: string): number[] {
    assertPrompt(text);
    const ids: number[] = [];
    for (const match of cleanPromptText(text).matchAll(PRE_TOKENIZER)) {
      for (const id of this.encodeWord(match[0])) ids.push(id);
    }
    return ids;
  }

  /** BOS + ids + EOS, truncated to `maxLength` and padded to it with the pad token. */
  tokenize(text: string, options: TokenizeOptions = {}): number[] {
    const maxLength = options.maxLength ?? this.modelMaxLength;
    if (!Number.isInteger(maxLength) || maxLength < 2) {
      throw new SdedgeError(
        'invalid_argument',
        `maxLength must be an integer >= 2, got ${maxLength}.`,
      );
    }
    const ids = this.encode(text).slice(0, maxLength - 2);
    const out = [this.bosTokenId, ...ids, this.eosTokenId];
    while (out.length < maxLength) out.push(this.padTokenId);
    return out;
  }

  /** Text of token ids (special tokens included), for debugging and tests. */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const token = this.idToToken.get(id) ?? '';
      const endsWord = token.endsWith('</w>');
      for (const char of endsWord ? token.slice(0, -4) : token) {
        const byte = BYTE_DECODER.get(char);
        if (byte !== undefined) bytes.push(byte);
      }
      if (endsWord) bytes.push(0x20);
    }
    return new TextDecoder().decode(new Uint8Array(bytes)).trimEnd();
  }

  private encodeWord(word: string): readonly number[] {
    const special = this.specialTokenIds.get(word);
    if (special !== undefined) return [special];
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    const ids = this.bpe
      .encodeWord(toByteSymbols(word))
      .map((token) => this.vocab.get(token) ?? this.unkTokenId);
    if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
    this.wordCache.set(word, ids);
    return ids;
  }
}

const BYTE_DECODER = new Map(BYTE_ENCODER.map((char, byte) => [char, byte]));

function assertPrompt(text: unknown): asserts text is string {
  if (typeof text !== 'string') {
    throw new SdedgeError(
      'invalid_prompt',
      `A prompt must be a string, got ${describeType(text)}.`,
    );
  }
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
