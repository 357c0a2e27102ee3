#!/usr/bin/python3
"""Writes small clip-retrieval output folders for the CrossModal.Data tests, under tests/reference/fixtures/clip_retrieval/.

Run from anywhere:  /usr/bin/python3 tests/reference/make_clip_retrieval_shards.py   (numpy only)
Regenerate, never edit, the files there. Tests never run Python.

clip-retrieval's `clip-inference` (its numpy writer) writes, per writer batch N (zero-padded to the number of digits
of the partition count):
    img_emb/img_emb_N.npy     (rows, D) image embeddings, np.save of a float16 array by default (float32 with --use_mp off)
    text_emb/text_emb_N.npy   (rows, D) caption embeddings, same rows in the same order
    metadata/metadata_N.parquet  pandas DataFrame.to_parquet: image_path, caption, then the flattened json metadata
                              (url, ...)
Row i of the three files describes the same sample.

What this script writes
  f16/          three float16 shards of D = 8 (rows 5, 3, 4), names padded to two digits (img_emb_00.npy ...), with
                paired text shards and no metadata folder: the parquet files cannot be written here (pyarrow is neither
                installed nor packaged by Debian 12), so the tests write metadata/metadata_NN.parquet with Parquet.Net
                from captions.json, the same way pandas.to_parquet lays the columns out (one row group, string
                columns image_path, caption, url).
                Row values cover float16's awkward cases: subnormals (2^-24, 2^-14 - 2^-24), the largest finite value
                65504, negative zero, and ordinary unit-norm CLIP-like rows.
  f16/captions.json     {"NN": [{"image_path": ..., "caption": ..., "url": ...}, ...]} per shard.
  f16/expected_img.f32, f16/expected_text.f32   all rows in shard order, widened to float32 by numpy (exact), raw
                little-endian C order: what the reader must return.
  f32/          image and text float32 shards numbered 0, 2 and 10 (unpadded, with a gap), D = 8, rows 2, 3, 1: the
                reader must order them 0, 2, 10 (numerically, not as strings) and needs no metadata.
  f32/expected_img.f32, f32/expected_text.f32   all rows in that order.
"""
import json
import os
import shutil

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "clip_retrieval")
D = 8
rng = np.random.default_rng(20261202)


def unit_rows(n):
    x = rng.standard_normal((n, D))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def write_folder(name, shard_names, rows, dtype, specials=False):
    root = os.path.join(OUT, name)
    os.makedirs(os.path.join(root, "img_emb"))
    os.makedirs(os.path.join(root, "text_emb"))
    all_img, all_text, captions = [], [], {}
    sample = 0
    for shard, n in zip(shard_names, rows):
        img = unit_rows(n).astype(dtype)
        text = (unit_rows(n) * 0.5 + 0.1).astype(dtype)
        if specials and shard == shard_names[0]:
            img[0, :6] = np.array([2.0 ** -24, 2.0 ** -14 - 2.0 ** -24, 65504.0, -0.0, -65504.0, 2.0 ** -14], dtype=np.float64)
        np.save(os.path.join(root, "img_emb", f"img_emb_{shard}.npy"), img)
        np.save(os.path.join(root, "text_emb", f"text_emb_{shard}.npy"), text)
        all_img.append(img.astype(np.float32))
        all_text.append(text.astype(np.float32))
        captions[shard] = [
            {"image_path": f"{sample + i:09d}.jpg", "caption": f"caption {sample + i}: a photo of thing {sample + i}", "url": f"https://example.com/{sample + i}.jpg"}
            for i in range(n)
        ]
        sample += n
    np.concatenate(all_img).astype("<f4").tofile(os.path.join(root, "expected_img.f32"))
    np.concatenate(all_text).astype("<f4").tofile(os.path.join(root, "expected_text.f32"))
    return captions


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    captions = write_folder("f16", ["00", "01", "02"], [5, 3, 4], np.float16, specials=True)
    with open(os.path.join(OUT, "f16", "captions.json"), "w", encoding="utf-8") as f:
        json.dump(captions, f, indent=1, sort_keys=True)
        f.write("\n")
    write_folder("f32", ["0", "2", "10"], [2, 3, 1], np.float32)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
