"""Transcriptions of OpenAI's reference tokenizers, used only to generate extra parity fixtures.

clip/simple_tokenizer.py (openai/CLIP@d05afc43, ftfy.fix_text replaced by identity, as in
data/tokenizers/tokenizer_golden.json) and gpt-2/src/encoder.py (openai/gpt-2@9b63575). Both use the
third-party `regex` module, whose Unicode classes and code-point iteration the C# scanners must match.
The transcription is checked against data/tokenizers/tokenizer_golden.json before it writes anything.
"""
import gzip
import html
import json
import os

import regex as re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    pairs = set()
    prev = word[0]
    for ch in word[1:]:
        pairs.add((prev, ch))
        prev = ch
    return pairs


def bpe_merge(word, ranks):
    pairs = get_pairs(word)
    if not pairs:
        return None
    while True:
        bigram = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if bigram not in ranks:
            break
        first, second = bigram
        new_word = []
        i = 0
        while i < len(word):
            try:
                j = word.index(first, i)
                new_word.extend(word[i:j])
                i = j
            except ValueError:
                new_word.extend(word[i:])
                break
            if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                new_word.append(first + second)
                i += 2
            else:
                new_word.append(word[i])
                i += 1
        word = tuple(new_word)
        if len(word) == 1:
            break
        pairs = get_pairs(word)
    return " ".join(word)


class Clip:
    def __init__(self):
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        path = os.path.join(ROOT, "data", "tokenizers", "clip", "bpe_simple_vocab_16e6.txt.gz")
        merges = gzip.open(path).read().decode("utf-8").split("\n")
        merges = merges[1:49152 - 256 - 2 + 1]
        merges = [tuple(m.split()) for m in merges]
        vocab = list(bytes_to_unicode().values())
        vocab = vocab + [v + "</w>" for v in vocab]
        for m in merges:
            vocab.append("".join(m))
        vocab.extend(["<|startoftext|>", "<|endoftext|>"])
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.decoder = {v: k for k, v in self.encoder.items()}
        self.ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        r = bpe_merge(word, self.ranks)
        if r is None:
            return token + "</w>"
        self.cache[token] = r
        return r

    def encode(self, text):
        text = html.unescape(html.unescape(text)).strip()  # ftfy.fix_text -> identity
        text = re.sub(r"\s+", " ", text).strip().lower()
        out = []
        for token in re.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            out.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return out

    def decode(self, tokens):
        text = "".join(self.decoder[t] for t in tokens)
        return bytearray([self.byte_decoder[c] for c in text]).decode("utf-8", errors="replace").replace("</w>", " ")


class Gpt2:
    def __init__(self):
        d = os.path.join(ROOT, "data", "tokenizers", "gpt2")
        with open(os.path.join(d, "encoder.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(os.path.join(d, "vocab.bpe"), encoding="utf-8") as f:
            bpe_data = f.read()
        merges = [tuple(s.split()) for s in bpe_data.split("\n")[1:-1]]
        self.decoder = {v: k for k, v in self.encoder.items()}
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        self.ranks = dict(zip(merges, range(len(merges))))
        self.pat = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

    def bpe(self, token):
        r = bpe_merge(tuple(token), self.ranks)
        return token if r is None else r

    def encode(self, text):
        out = []
        for token in re.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            out.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return out

    def decode(self, tokens):
        text = "".join(self.decoder[t] for t in tokens)
        return bytearray([self.byte_decoder[c] for c in text]).decode("utf-8", errors="replace")
