"""A CLIP-format tokenizer (vocab.json + merges.txt) learned for the caption vocabulary, and
the encoder the trainer uses. The format and algorithm are CLIP's: byte symbols in CLIP's order,
the same with </w>, one token per merge, <|startoftext|> and <|endoftext|> last; so sdedge's
ClipTokenizer reads it unchanged (tests check both give the same ids)."""
import json
import re

BOS, EOS = "<|startoftext|>", "<|endoftext|>"


def byte_symbols():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    order = printable + [b for b in range(256) if b not in printable]
    return table, [table[b] for b in order]


BYTES, BYTE_ORDER = byte_symbols()


def learn(words):
    """Merges until every word is one token (words are lowercase ASCII)."""
    split = {w: [c for c in w[:-1]] + [w[-1] + "</w>"] for w in words}
    merges = []
    while True:
        counts = {}
        for symbols in split.values():
            for a, b in zip(symbols, symbols[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + 1
        if not counts:
            break
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        merges.append(best)
        for w, symbols in split.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            split[w] = out
    tokens = BYTE_ORDER + [s + "</w>" for s in BYTE_ORDER] + ["".join(m) for m in merges]
    vocab = {}
    for token in tokens + [BOS, EOS]:
        vocab.setdefault(token, len(vocab))
    return vocab, merges


class Tokenizer:
    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.rank = {tuple(m): i for i, m in enumerate(merges)}
        self.bos, self.eos = vocab[BOS], vocab[EOS]

    def bpe(self, word):
        symbols = [BYTES[b] for b in word.encode()]
        symbols[-1] += "</w>"
        while len(symbols) > 1:
            ranked = [(self.rank.get(p, 1 << 30), i) for i, p in enumerate(zip(symbols, symbols[1:]))]
            best, i = min(ranked)
            if best == 1 << 30:
                break
            a, b = symbols[i], symbols[i + 1]
            out, j = [], 0
            while j < len(symbols):
                if j + 1 < len(symbols) and symbols[j] == a and symbols[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            symbols = out
        return [self.vocab.get(s, self.eos) for s in symbols]

    def __call__(self, text, length=77):
        words = re.findall(r"[a-z]+|[0-9]|[^\sa-z0-9]+", text.lower())
        ids = [self.bos] + [i for w in words for i in self.bpe(w)][: length - 2] + [self.eos]
        return ids + [self.eos] * (length - len(ids))


def save(folder, vocab, merges):
    with open(f"{folder}/vocab.json", "w") as f:
        json.dump(vocab, f)
    with open(f"{folder}/merges.txt", "w") as f:
        f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
