/** Byte-pair encoding of one pre-tokenized word, with CLIP's `</w>` end-of-word marker. */
export class BytePairEncoder {
  private readonly ranks: Map<string, number>;

  /** @param merges merge pairs in priority order, each `[left, right]` */
  constructor(merges: readonly (readonly [string, string])[]) {
    this.ranks = new Map();
    merges.forEach(([left, right], rank) => {
      const key = pairKey(left, right);
      // A repeated pair keeps its first (highest-priority) rank.
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
  }

  /**
   * Merges `symbols` (one per byte, already mapped to printable characters) until no ranked pair
   * is left; the last symbol carries `</w>`.
   */
  encodeWord(symbols: readonly string[]): string[] {
    if (symbols.length === 0) return [];
    const word = symbols.slice();
    word[word.length - 1] += '</w>';
    while (word.length > 1) {
      let bestRank = Number.POSITIVE_INFINITY;
      let bestPair: [string, string] | null = null;
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.ranks.get(pairKey(word[i], word[i + 1]));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestPair = [word[i], word[i + 1]];
        }
      }
      if (bestPair === null) break;
      mergeAll(word, bestPair[0], bestPair[1]);
    }
    return word;
  }
}

function pairKey(left: string, right: string): string {
  return `${left} ${right}`;
}

/** Replaces every non-overlapping occurrence of the pair, left to right, in place. */
function mergeAll(word: string[], left: string, right: string): void {
  let write = 0;
  for (let read = 0; read < word.length; read++) {
    if (read < word.length - 1 && word[read] === left && word[read + 1] === right) {
      word[write++] = left + right;
      read++;
    } else {
      word[write++] = word[read];
    }
  }
  word.length = write;
}
