"""Writes tests/reference/fixtures/tiktoken/gpt2_first_1024.tiktoken: a small tiktoken ranks file for tests.

Run from anywhere: python3 tests/reference/make_tiktoken_fixture.py
The first 1,024 tokens of GPT-2's vocabulary (data/tokenizers/gpt2/encoder.json: the 256 bytes, then the tokens of
the first 768 merges, whose ids are already in merge order) in tiktoken's format, one `BASE64(TOKEN BYTES) RANK` per
line with rank = GPT-2 id. Tiktoken merges a pair when the concatenation has a rank, lowest rank first, so this file
encodes like GPT-2 limited to its first 768 merges: a vocabulary small enough for a test to train a captioner on.
"""
import base64
import json
import os

from reference_tokenizers import ROOT, bytes_to_unicode

COUNT = 1024


def main():
    byte_decoder = {v: k for k, v in bytes_to_unicode().items()}
    with open(os.path.join(ROOT, "data", "tokenizers", "gpt2", "encoder.json"), encoding="utf-8") as f:
        encoder = json.load(f)
    lines = []
    for token, rank in sorted(encoder.items(), key=lambda kv: kv[1]):
        if rank >= COUNT:
            break
        raw = bytes(byte_decoder[c] for c in token)
        lines.append("%s %d\n" % (base64.b64encode(raw).decode("ascii"), rank))
    path = os.path.join(ROOT, "tests", "reference", "fixtures", "tiktoken", "gpt2_first_1024.tiktoken")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii", newline="\n") as f:
        f.writelines(lines)
    os.replace(tmp, path)
    print("wrote", path, len(lines), "ranks")


if __name__ == "__main__":
    main()
