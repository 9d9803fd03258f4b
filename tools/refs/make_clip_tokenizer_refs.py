"""Writes reference token ids for the ClipTokenizer tests.

An independent Python rendering of OpenAI's reference CLIP tokenizer (clip/simple_tokenizer.py):
Python's `regex` module for the Unicode classes, `html.unescape` twice, Python's own lower() and
whitespace rules. ftfy is not packaged for Debian, so its fix_text is reduced to NFC here; the
cases below avoid what only ftfy would change (those are asserted by hand in the tests).

    apt-get install python3-regex
    /usr/bin/python3 tools/refs/make_clip_tokenizer_refs.py ../shared/clip-tokenizer \
        > packages/pipeline/test/fixtures/clip-tokenizer-cases.json
"""
import html
import json
import sys
import unicodedata

import regex

folder = sys.argv[1]
vocab = json.load(open(f"{folder}/vocab.json", encoding="utf-8"))
lines = open(f"{folder}/merges.txt", encoding="utf-8").read().split("\n")
pairs = [tuple(line.split(" ")) for line in lines[1:] if line]
rank = {pair: i for i, pair in reversed(list(enumerate(pairs)))}


def byte_table():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTES = byte_table()
WORDS = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)


def bpe(symbols):
    symbols = symbols[:-1] + [symbols[-1] + "</w>"]
    while len(symbols) > 1:
        candidates = [(rank.get((a, b), 1 << 60), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
        best, _ = min(candidates)
        if best == 1 << 60:
            break
        a, b = pairs[best]
        merged, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                merged.append(a + b)
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return symbols


def encode(text):
    text = unicodedata.normalize("NFC", text)
    text = html.unescape(html.unescape(text)).strip()
    text = regex.sub(r"\s+", " ", text).strip().lower()
    ids = []
    for word in WORDS.findall(text):
        if word in ("<|startoftext|>", "<|endoftext|>"):
            ids.append(vocab[word])
            continue
        symbols = [BYTES[b] for b in word.encode("utf-8")]
        ids.extend(vocab.get(tok, vocab["<|endoftext|>"]) for tok in bpe(symbols))
    return ids


CASES = [
    "a photo of an astronaut riding a horse on mars",
    "A painting of a squirrel eating a burger",
    "",
    "   ",
    "Hello, World!!!",
    "it's a dog's life; they're here, we've gone, I'm sure you'll see, he'd go",
    "IT'S LOUD",
    "rock'n'roll",
    "1234567890 3.14159 -42 1e10 50%",
    "café crème brûlée naïve façade",
    "cafe\u0301 (decomposed accent, normalized to NFC)",
    "Ünïcödé ÀÉÎÕÜ ß ẞ",
    "東京タワー 夜景 写真",
    "한국어 프롬프트",
    "Привет, мир",
    "مرحبا بالعالم",
    "🐱🐶 emoji 🚀✨ mixed 👩‍👩‍👧",
    "tabs\tand\nnewlines\r\n  and   spaces",
    "&amp; &lt;tag&gt; &amp;amp; &quot;quoted&quot; &#39;x&#39; &eacute;",
    "masterpiece, best quality, (ultra detailed:1.2), 8k, hdr",
    "a_b-c.d/e\\f|g~h`i^j",
    "<|endoftext|> inside <|startoftext|> text",
    "www.example.com https://example.com/path?x=1",
    "ΣΊΣΥΦΟΣ",
    "a " * 40 + "long prompt",
    "photorealistic portrait of a woman, cinematic lighting, depth of field, bokeh, "
    "highly detailed skin texture, 85mm lens, golden hour, soft shadows, film grain",
]

rows = [json.dumps({"text": text, "ids": encode(text)}, ensure_ascii=False) for text in CASES]
print("[\n" + ",\n".join(rows) + "\n]")
