#!/usr/bin/python3
"""Reference fixtures for CrossModal's CLIP model (ClipModel, its Hugging Face loader and its gradients).

Run with the system Python that has PyTorch 1.13 (`apt-get install -y python3-torch python3-numpy`):

    /usr/bin/python3 tests/reference/make_clip_fixtures.py

`transformers` is not installed here, so the reference model below is Hugging Face's CLIPModel
(transformers/models/clip/modeling_clip.py, v4.30) re-written in plain torch with the same parameter names:
vision: stride-p patch convolution without bias, class token, learned positions, `pre_layrnorm`, pre-LN encoder
layers (layer_norm1 → q/k/v/out_proj attention → residual; layer_norm2 → fc1 → act → fc2 → residual),
`post_layernorm` on the class token, `visual_projection` (no bias); text: token + position embeddings, causal
encoder, `final_layer_norm`, pooling at argmax(input_ids) (the end-of-text id 49407 is the largest id, as in
OpenAI's model.py), `text_projection` (no bias); `logit_scale`; QuickGELU x·σ(1.702x).

It writes, from fixed seeds:
- fixtures/clip/tiny/config.json and model.safetensors: a tiny random CLIP in HF layout (vision width 64, 2 layers,
  4 heads, patch 8, image 32; text width 32, 2 layers, 4 heads, context 77, the real CLIP vocabulary of 49408 so
  real tokenizer ids work; projection 48). Weights are stored as F16 to keep the file small (3.4 MB, mostly the
  token table); the reference computes in float32 from the F16-rounded values. The `position_ids` buffers that
  older HF checkpoints carry are stored too (I64), so the loader's skipping of them is exercised.
- fixtures/clip/tiny_reference.safetensors (F32): token ids (from OpenAI's tokenizer, transcribed in
  reference_tokenizers.py, zero-padded to 77 as clip.tokenize does), pixel tensors, raw and L2-normalised text and
  image embeddings, logits, the contrastive loss of 4 pairs and the gradient of that loss with respect to every
  parameter (HF names, prefix `grad.`; the token table's gradient only for the rows the batch uses).

safetensors is not installed either, so files are written by hand: 8-byte little-endian header length, JSON header
(keys sorted, padded with spaces to a multiple of 8), raw little-endian data in header order.
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "clip")
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

TEXT = dict(vocab_size=49408, hidden_size=32, intermediate_size=128, num_attention_heads=4, num_hidden_layers=2,
            max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5,
            bos_token_id=49406, eos_token_id=49407, pad_token_id=1, projection_dim=48, model_type="clip_text_model")
VISION = dict(hidden_size=64, intermediate_size=256, num_attention_heads=4, num_hidden_layers=2, image_size=32,
              patch_size=8, num_channels=3, hidden_act="quick_gelu", layer_norm_eps=1e-5, projection_dim=48,
              model_type="clip_vision_model")
PROJECTION = 48
LOGIT_SCALE = math.log(1 / 0.07)

# OpenAI's BPE ids of CAPTIONS (without start/end), from reference_tokenizers.Clip, which needs the third-party
# `regex` module that the PyTorch Python may lack; when it is importable the ids are re-derived and checked.
CAPTION_IDS = [
    [320, 1125, 539, 320, 2368],
    [1237, 3255, 1629, 530, 518, 2583, 256],
    [],
    [320, 736, 7117, 4348, 320, 1746, 3999, 267, 1131, 531, 320, 2442, 1901, 14615],
    [2653] * 90,
]

CAPTIONS = [
    "a photo of a cat",
    "Two dogs playing in the snow!",
    "",
    "a red circle above a blue square, next to a small green triangle",
    " ".join(["word"] * 90),  # longer than the context: truncated, end-of-text kept last
]


def write_safetensors(path, tensors, dtypes=None):
    dtypes = dtypes or {}
    names = sorted(tensors)
    header = {}
    blobs = []
    offset = 0
    for name in names:
        t = tensors[name].detach().contiguous()
        kind = dtypes.get(name, "F32")
        if kind == "F32":
            data = t.to(torch.float32).numpy().astype("<f4").tobytes()
        elif kind == "F16":
            data = t.to(torch.float16).numpy().astype("<f2").tobytes()
        elif kind == "I64":
            data = t.to(torch.int64).numpy().astype("<i8").tobytes()
        else:
            raise ValueError(kind)
        header[name] = {"dtype": kind, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "generator": "tests/reference/make_clip_fixtures.py"}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    print(f"{os.path.relpath(path)}: {len(tensors)} tensors, {os.path.getsize(path)} bytes", file=sys.stderr)


def random_parameters():
    """HF state dict of a random CLIP; larger scales than CLIP's init so every weight visibly matters."""
    g = torch.Generator().manual_seed(601)

    def normal(*shape, std):
        return torch.randn(*shape, generator=g) * std

    p = {}

    def encoder(prefix, c, hidden, layers):
        for i in range(layers):
            q = f"{prefix}.encoder.layers.{i}."
            for ln in ("layer_norm1", "layer_norm2"):
                p[q + ln + ".weight"] = 1 + normal(c, std=0.1)
                p[q + ln + ".bias"] = normal(c, std=0.1)
            for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                p[q + f"self_attn.{proj}.weight"] = normal(c, c, std=c ** -0.5)
                p[q + f"self_attn.{proj}.bias"] = normal(c, std=0.1)
            p[q + "mlp.fc1.weight"] = normal(hidden, c, std=c ** -0.5)
            p[q + "mlp.fc1.bias"] = normal(hidden, std=0.1)
            p[q + "mlp.fc2.weight"] = normal(c, hidden, std=hidden ** -0.5)
            p[q + "mlp.fc2.bias"] = normal(c, std=0.1)

    ct, cv, ps = TEXT["hidden_size"], VISION["hidden_size"], VISION["patch_size"]
    grid = VISION["image_size"] // ps
    p["text_model.embeddings.token_embedding.weight"] = normal(TEXT["vocab_size"], ct, std=1.0)
    p["text_model.embeddings.position_embedding.weight"] = normal(TEXT["max_position_embeddings"], ct, std=0.5)
    encoder("text_model", ct, TEXT["intermediate_size"], TEXT["num_hidden_layers"])
    p["text_model.final_layer_norm.weight"] = 1 + normal(ct, std=0.1)
    p["text_model.final_layer_norm.bias"] = normal(ct, std=0.1)
    p["vision_model.embeddings.class_embedding"] = normal(cv, std=1.0)
    p["vision_model.embeddings.patch_embedding.weight"] = normal(cv, 3, ps, ps, std=(3 * ps * ps) ** -0.5)
    p["vision_model.embeddings.position_embedding.weight"] = normal(grid * grid + 1, cv, std=0.5)
    p["vision_model.pre_layrnorm.weight"] = 1 + normal(cv, std=0.1)
    p["vision_model.pre_layrnorm.bias"] = normal(cv, std=0.1)
    encoder("vision_model", cv, VISION["intermediate_size"], VISION["num_hidden_layers"])
    p["vision_model.post_layernorm.weight"] = 1 + normal(cv, std=0.1)
    p["vision_model.post_layernorm.bias"] = normal(cv, std=0.1)
    p["visual_projection.weight"] = normal(PROJECTION, cv, std=cv ** -0.5)
    p["text_projection.weight"] = normal(PROJECTION, ct, std=ct ** -0.5)
    p["logit_scale"] = torch.tensor(LOGIT_SCALE)
    # Stored as F16; the reference computes with exactly the stored values.
    return {k: v.to(torch.float16).to(torch.float32) for k, v in p.items()}


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def encoder_forward(p, prefix, h, layers, heads, eps, causal):
    b, t, c = h.shape
    d = c // heads
    mask = None
    if causal:
        mask = torch.full((t, t), float("-inf")).triu(1)
    for i in range(layers):
        q = f"{prefix}.encoder.layers.{i}."
        lin = lambda x, name: F.linear(x, p[q + name + ".weight"], p[q + name + ".bias"])  # noqa: E731
        residual = h
        x = F.layer_norm(h, (c,), p[q + "layer_norm1.weight"], p[q + "layer_norm1.bias"], eps)
        qs = lin(x, "self_attn.q_proj") * d ** -0.5
        ks = lin(x, "self_attn.k_proj")
        vs = lin(x, "self_attn.v_proj")
        split = lambda y: y.view(b, t, heads, d).transpose(1, 2)  # noqa: E731
        scores = split(qs) @ split(ks).transpose(-1, -2)
        if mask is not None:
            scores = scores + mask
        y = torch.softmax(scores, dim=-1) @ split(vs)
        y = y.transpose(1, 2).reshape(b, t, c)
        h = residual + lin(y, "self_attn.out_proj")
        residual = h
        x = F.layer_norm(h, (c,), p[q + "layer_norm2.weight"], p[q + "layer_norm2.bias"], eps)
        h = residual + lin(quick_gelu(lin(x, "mlp.fc1")), "mlp.fc2")
    return h


def text_features(p, ids):
    c = TEXT["hidden_size"]
    t = ids.shape[1]
    h = p["text_model.embeddings.token_embedding.weight"][ids] + p["text_model.embeddings.position_embedding.weight"][:t]
    h = encoder_forward(p, "text_model", h, TEXT["num_hidden_layers"], TEXT["num_attention_heads"], TEXT["layer_norm_eps"], True)
    h = F.layer_norm(h, (c,), p["text_model.final_layer_norm.weight"], p["text_model.final_layer_norm.bias"], TEXT["layer_norm_eps"])
    pooled = h[torch.arange(h.shape[0]), ids.argmax(dim=-1)]
    return pooled @ p["text_projection.weight"].t()


def image_features(p, pixels):
    c, ps = VISION["hidden_size"], VISION["patch_size"]
    b = pixels.shape[0]
    patches = F.conv2d(pixels, p["vision_model.embeddings.patch_embedding.weight"], stride=ps)  # (B, C, g, g)
    patches = patches.flatten(2).transpose(1, 2)  # (B, P, C), patches row-major
    cls = p["vision_model.embeddings.class_embedding"].expand(b, 1, c)
    h = torch.cat([cls, patches], dim=1) + p["vision_model.embeddings.position_embedding.weight"]
    h = F.layer_norm(h, (c,), p["vision_model.pre_layrnorm.weight"], p["vision_model.pre_layrnorm.bias"], VISION["layer_norm_eps"])
    h = encoder_forward(p, "vision_model", h, VISION["num_hidden_layers"], VISION["num_attention_heads"], VISION["layer_norm_eps"], False)
    pooled = F.layer_norm(h[:, 0], (c,), p["vision_model.post_layernorm.weight"], p["vision_model.post_layernorm.bias"], VISION["layer_norm_eps"])
    return pooled @ p["visual_projection.weight"].t()


def caption_ids():
    try:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from reference_tokenizers import Clip  # noqa: E402
    except ImportError:
        print("regex module missing: using the transcribed CAPTION_IDS", file=sys.stderr)
        return CAPTION_IDS
    bpe = Clip()
    derived = [bpe.encode(c) for c in CAPTIONS]
    assert derived == CAPTION_IDS, derived
    return derived


def tokenize(bpe_ids, context=77):
    ids = [49406] + bpe_ids + [49407]
    if len(ids) > context:
        ids = ids[:context]
        ids[-1] = 49407
    return ids + [0] * (context - len(ids))


def main():
    os.makedirs(os.path.join(OUT, "tiny"), exist_ok=True)
    p = random_parameters()

    config = {
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": PROJECTION,
        "logit_scale_init_value": 2.6592,
        "text_config": TEXT,
        "vision_config": VISION,
        "torch_dtype": "float16",
    }
    tmp = os.path.join(OUT, "tiny", "config.json.tmp")
    with open(tmp, "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(OUT, "tiny", "config.json"))

    stored = dict(p)
    dtypes = {k: "F16" for k in p}
    dtypes["logit_scale"] = "F32"
    stored["text_model.embeddings.position_ids"] = torch.arange(77).unsqueeze(0)
    stored["vision_model.embeddings.position_ids"] = torch.arange(17).unsqueeze(0)
    dtypes["text_model.embeddings.position_ids"] = "I64"
    dtypes["vision_model.embeddings.position_ids"] = "I64"
    write_safetensors(os.path.join(OUT, "tiny", "model.safetensors"), stored, dtypes)

    ids = torch.tensor([tokenize(x) for x in caption_ids()])
    g = torch.Generator().manual_seed(602)
    pixels = torch.randn(4, 3, 32, 32, generator=g)

    with torch.no_grad():
        text = text_features(p, ids)
        image = image_features(p, pixels)
    text_n = text / text.norm(dim=-1, keepdim=True)
    image_n = image / image.norm(dim=-1, keepdim=True)
    ref = {
        "input_ids": ids.float(),
        "pixel_values": pixels,
        "text_embeds_raw": text,
        "text_embeds": text_n,
        "image_embeds_raw": image,
        "image_embeds": image_n,
        "logits_per_image": p["logit_scale"].exp() * image_n @ text_n.t(),
    }

    # Contrastive loss of the first 4 captions with the 4 images, and every parameter's gradient.
    leaves = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    t = text_features(leaves, ids[:4])
    i = image_features(leaves, pixels)
    t = t / t.norm(dim=-1, keepdim=True)
    i = i / i.norm(dim=-1, keepdim=True)
    logits = leaves["logit_scale"].exp().clamp(max=100) * i @ t.t()
    labels = torch.arange(4)
    loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
    loss.backward()
    ref["loss"] = loss.detach().reshape(1)
    used = torch.unique(ids[:4])
    ref["grad_token_rows"] = used.float()
    for k, v in leaves.items():
        grad = v.grad
        if k == "text_model.embeddings.token_embedding.weight":
            grad = grad[used]
        ref["grad." + k] = grad.reshape(v.shape) if k != "text_model.embeddings.token_embedding.weight" else grad
    write_safetensors(os.path.join(OUT, "tiny_reference.safetensors"), ref)
    print("loss", loss.item(), "ids[0]", ids[0, :8].tolist(), file=sys.stderr)


if __name__ == "__main__":
    main()
