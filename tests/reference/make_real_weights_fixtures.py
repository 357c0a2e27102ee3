#!/usr/bin/python3
"""Fixtures for the real-weights path (train-captioner --decoder-checkpoint, caption --clip --images --refs).

Run with the system Python that has PyTorch 1.13:

    /usr/bin/python3 tests/reference/make_real_weights_fixtures.py

Writes, from a fixed seed, under tests/reference/fixtures/real_weights/:
- gpt2_vocab/config.json and model.safetensors: a random Hugging Face `GPT2LMHeadModel` with GPT-2's real vocabulary of
  50,257 tokens (so the real GPT-2 tokenizer's ids are valid) but tiny widths (n_embd 16, 2 layers, 2 heads, 48
  positions). Tensor names, shapes and layouts are Hugging Face's: the Conv1D projections `attn.c_attn`, `attn.c_proj`,
  `mlp.c_fc`, `mlp.c_proj` store their weights (in, out), the transpose of a Linear's. Every Conv1D weight is filled with
  distinct values so that a loader reading one in the wrong layout gives different numbers (the square `attn.c_proj`
  weight, whose shape alone cannot tell). Weights are stored as F16 to keep the file under 2 MB (most of it is the token
  table); the tied LM head is not stored, as `save_pretrained` does.
- captions_coco.json: COCO caption annotations (`images` with `id` and `file_name`, `annotations` with `image_id` and
  `caption`) over six committed PNG test images in tests/reference/images/png.
- dataset_coco.json: the same images and sentences in the Karpathy split format (`images` with `filename`,
  `filepath`, `cocoid`, `split` in train/restval/val/test and `sentences` with `raw`).

With `--full-size DIR` it instead writes, for measuring throughput (not committed: about 1.1 GB), random checkpoints of
the real shapes: DIR/gpt2-small (GPT-2 small: 124 M parameters, vocabulary 50,257, context 1024, width 768, 12 layers,
12 heads; F32 like the `gpt2` release) and DIR/clip-vit-b32 (openai/clip-vit-base-patch32's shape, F32), both in
Hugging Face layout, so `crossmodal` reads them exactly as it reads the released weights.

safetensors is not installed here, so the file is written by hand: 8-byte little-endian header length, JSON header
(keys sorted, padded with spaces to a multiple of 8), raw little-endian data in header order.
"""

import json
import os
import struct

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "real_weights")
torch.manual_seed(20261203)

CONFIG = {
    "activation_function": "gelu_new",
    "architectures": ["GPT2LMHeadModel"],
    "bos_token_id": 50256,
    "eos_token_id": 50256,
    "layer_norm_epsilon": 1e-05,
    "model_type": "gpt2",
    "n_ctx": 48,
    "n_embd": 16,
    "n_head": 2,
    "n_inner": None,
    "n_layer": 2,
    "n_positions": 48,
    "vocab_size": 50257,
}

IMAGES = [  # PNG only, so the tests need no JPEG library
    ("png/pillow_rgb_83x61.png", 1001, "train", ["a colourful pattern of stripes", "red and green stripes on a card"]),
    ("png/pillow_l_83x61.png", 1002, "restval", ["a grey striped card", "a plain grey picture of stripes"]),
    ("png/pillow_rgba_83x61.png", 1003, "train", ["a striped card with a clear corner", "stripes of colour"]),
    ("png/t0_d8_adam7_33x17.png", 1004, "val", ["a small grey square", "a tiny grey tile"]),
    ("png/pillow_p_83x61.png", 1005, "test", ["a striped flag in the wind", "coloured stripes on paper"]),
    ("png/t0_d16_adam7_37x23.png", 1006, "test", ["a grey tile on the floor", "a dull grey square"]),
]


def write_safetensors(path, tensors, dtype="F16"):
    names = sorted(tensors)
    header = {}
    blobs = []
    offset = 0
    for name in names:
        t = tensors[name].detach().contiguous()
        data = t.to(torch.float16).numpy().astype("<f2").tobytes() if dtype == "F16" else t.to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def gpt2_weights(config=CONFIG):
    c, v, p = config["n_embd"], config["vocab_size"], config["n_positions"]
    w = {"transformer.wte.weight": torch.randn(v, c) * 0.02, "transformer.wpe.weight": torch.randn(p, c) * 0.01}
    for i in range(config["n_layer"]):
        h = f"transformer.h.{i}."
        w[h + "ln_1.weight"] = 1 + 0.1 * torch.randn(c)
        w[h + "ln_1.bias"] = 0.1 * torch.randn(c)
        w[h + "attn.c_attn.weight"] = torch.randn(c, 3 * c) * 0.1  # Conv1D: (in, out)
        w[h + "attn.c_attn.bias"] = 0.1 * torch.randn(3 * c)
        w[h + "attn.c_proj.weight"] = torch.randn(c, c) * 0.1
        w[h + "attn.c_proj.bias"] = 0.1 * torch.randn(c)
        w[h + "ln_2.weight"] = 1 + 0.1 * torch.randn(c)
        w[h + "ln_2.bias"] = 0.1 * torch.randn(c)
        w[h + "mlp.c_fc.weight"] = torch.randn(c, 4 * c) * 0.1
        w[h + "mlp.c_fc.bias"] = 0.1 * torch.randn(4 * c)
        w[h + "mlp.c_proj.weight"] = torch.randn(4 * c, c) * 0.1
        w[h + "mlp.c_proj.bias"] = 0.1 * torch.randn(c)
    w["transformer.ln_f.weight"] = 1 + 0.1 * torch.randn(c)
    w["transformer.ln_f.bias"] = 0.1 * torch.randn(c)
    # The square Conv1D weight must not be symmetric, or a transposed load would go unnoticed.
    for i in range(config["n_layer"]):
        m = w[f"transformer.h.{i}.attn.c_proj.weight"]
        assert (m - m.T).abs().max() > 0.05
    return w


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def main():
    folder = os.path.join(ROOT, "gpt2_vocab")
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), gpt2_weights())
    write_json(os.path.join(folder, "config.json"), CONFIG)

    coco = {"images": [], "annotations": []}
    karpathy = {"dataset": "coco", "images": []}
    sentence_id = 1
    for i, (path, image_id, split, captions) in enumerate(IMAGES):
        name = os.path.basename(path)
        coco["images"].append({"id": image_id, "file_name": name, "width": 0, "height": 0})
        entry = {"filepath": os.path.dirname(path), "filename": name, "imgid": i, "cocoid": image_id, "split": split,
                 "sentids": [], "sentences": []}
        for caption in captions:
            coco["annotations"].append({"image_id": image_id, "id": sentence_id, "caption": caption})
            entry["sentids"].append(sentence_id)
            entry["sentences"].append({"raw": caption, "tokens": caption.lower().split(), "imgid": i, "sentid": sentence_id})
            sentence_id += 1
        karpathy["images"].append(entry)
    write_json(os.path.join(ROOT, "captions_coco.json"), coco)
    write_json(os.path.join(ROOT, "dataset_coco.json"), karpathy)


def full_size(root):
    """Random checkpoints of GPT-2 small's and CLIP ViT-B/32's real shapes (for throughput, not for tests)."""
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import make_clip_fixtures as clip

    gpt2 = dict(CONFIG, n_ctx=1024, n_positions=1024, n_embd=768, n_head=12, n_layer=12)
    folder = os.path.join(root, "gpt2-small")
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), gpt2_weights(gpt2), dtype="F32")
    write_json(os.path.join(folder, "config.json"), gpt2)

    clip.TEXT.update(hidden_size=512, intermediate_size=2048, num_attention_heads=8, num_hidden_layers=12, projection_dim=512)
    clip.VISION.update(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12, image_size=224,
                       patch_size=32, projection_dim=512)
    clip.PROJECTION = 512
    folder = os.path.join(root, "clip-vit-b32")
    os.makedirs(folder, exist_ok=True)
    clip.write_safetensors(os.path.join(folder, "model.safetensors"), clip.random_parameters())
    write_json(os.path.join(folder, "config.json"), {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": 512,
                                                     "logit_scale_init_value": 2.6592, "text_config": clip.TEXT, "vision_config": clip.VISION})


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--full-size":
        full_size(sys.argv[2])
    else:
        main()
