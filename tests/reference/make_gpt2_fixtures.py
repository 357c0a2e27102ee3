#!/usr/bin/python3
"""A tiny random GPT-2 checkpoint in Hugging Face `GPT2LMHeadModel` layout, and its logits, for the loader's parity test.

Run with the system Python that has PyTorch 1.13:

    /usr/bin/python3 tests/reference/make_gpt2_fixtures.py

`transformers` is not installed here, so the model is GPT-2 written in plain torch following
transformers/models/gpt2/modeling_gpt2.py (v4.x): Conv1D projections y = x @ W + b with W stored (in, out), pre-LN
blocks, tanh GELU ("gelu_new"), learned positions, final LayerNorm, LM head tied to wte. Parameter names, shapes and
the config.json fields are Hugging Face's, including the non-persistent-in-new-versions `attn.bias` causal-mask buffer
(older checkpoints store it; loaders must ignore it) and a stored, tied `lm_head.weight`.

Writes tests/reference/fixtures/gpt2_tiny/{config.json, model.safetensors, expected.safetensors}. expected holds
`input_ids` (B, T) as F32, `logits` (B, T, V) for them, and for the prefix path `inputs_embeds_prefix` (B, K, C),
`prefix_input_ids` (B, T2) and `prefix_logits` (B, K + T2, V): HF's inputs_embeds with the first K positions given as
vectors and the rest as token embeddings.
"""

import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "gpt2_tiny")
torch.set_num_threads(1)
torch.manual_seed(20261123)

CONFIG = {
    "activation_function": "gelu_new",
    "architectures": ["GPT2LMHeadModel"],
    "layer_norm_epsilon": 1e-05,
    "model_type": "gpt2",
    "n_ctx": 24,
    "n_embd": 32,
    "n_head": 4,
    "n_inner": None,
    "n_layer": 2,
    "n_positions": 24,
    "vocab_size": 101,
}


def write_safetensors(path, tensors, generator):
    names = sorted(tensors)
    header = {}
    blobs = []
    offset = 0
    for name in names:
        t = tensors[name].detach().to(torch.float32).contiguous()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt", "generator": generator}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def gelu_new(x):
    # transformers.activations.NewGELUActivation
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def make_weights():
    c, v, p, layers = CONFIG["n_embd"], CONFIG["vocab_size"], CONFIG["n_positions"], CONFIG["n_layer"]
    w = {}
    # Larger-than-init scales so every layer matters to the logits.
    w["transformer.wte.weight"] = torch.randn(v, c) * 0.3
    w["transformer.wpe.weight"] = torch.randn(p, c) * 0.1
    for i in range(layers):
        h = f"transformer.h.{i}."
        w[h + "ln_1.weight"] = 1.0 + 0.1 * torch.randn(c)
        w[h + "ln_1.bias"] = 0.1 * torch.randn(c)
        w[h + "attn.c_attn.weight"] = 0.2 * torch.randn(c, 3 * c)  # Conv1D: (in, out)
        w[h + "attn.c_attn.bias"] = 0.1 * torch.randn(3 * c)
        w[h + "attn.c_proj.weight"] = 0.2 * torch.randn(c, c)
        w[h + "attn.c_proj.bias"] = 0.1 * torch.randn(c)
        w[h + "ln_2.weight"] = 1.0 + 0.1 * torch.randn(c)
        w[h + "ln_2.bias"] = 0.1 * torch.randn(c)
        w[h + "mlp.c_fc.weight"] = 0.2 * torch.randn(c, 4 * c)
        w[h + "mlp.c_fc.bias"] = 0.1 * torch.randn(4 * c)
        w[h + "mlp.c_proj.weight"] = 0.2 * torch.randn(4 * c, c)
        w[h + "mlp.c_proj.bias"] = 0.1 * torch.randn(c)
        w[h + "attn.bias"] = torch.tril(torch.ones(p, p)).view(1, 1, p, p)  # the old causal-mask buffer
    w["transformer.ln_f.weight"] = 1.0 + 0.1 * torch.randn(c)
    w["transformer.ln_f.bias"] = 0.1 * torch.randn(c)
    w["lm_head.weight"] = w["transformer.wte.weight"]
    return w


def conv1d(x, weight, bias):
    return x @ weight + bias


def forward(w, inputs_embeds):
    c, nh, layers = CONFIG["n_embd"], CONFIG["n_head"], CONFIG["n_layer"]
    eps = CONFIG["layer_norm_epsilon"]
    b, t, _ = inputs_embeds.shape
    hs = c // nh
    x = inputs_embeds + w["transformer.wpe.weight"][:t]
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for i in range(layers):
        h = f"transformer.h.{i}."
        a = torch.nn.functional.layer_norm(x, (c,), w[h + "ln_1.weight"], w[h + "ln_1.bias"], eps)
        qkv = conv1d(a, w[h + "attn.c_attn.weight"], w[h + "attn.c_attn.bias"])
        q, k, v = qkv.split(c, dim=2)
        q = q.view(b, t, nh, hs).transpose(1, 2)
        k = k.view(b, t, nh, hs).transpose(1, 2)
        v = v.view(b, t, nh, hs).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hs)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        y = torch.softmax(scores, dim=-1) @ v
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        x = x + conv1d(y, w[h + "attn.c_proj.weight"], w[h + "attn.c_proj.bias"])
        m = torch.nn.functional.layer_norm(x, (c,), w[h + "ln_2.weight"], w[h + "ln_2.bias"], eps)
        m = conv1d(gelu_new(conv1d(m, w[h + "mlp.c_fc.weight"], w[h + "mlp.c_fc.bias"])), w[h + "mlp.c_proj.weight"], w[h + "mlp.c_proj.bias"])
        x = x + m
    x = torch.nn.functional.layer_norm(x, (c,), w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    return x @ w["lm_head.weight"].t()


def main():
    os.makedirs(OUT, exist_ok=True)
    w = make_weights()
    v = CONFIG["vocab_size"]
    with torch.no_grad():
        ids = torch.randint(0, v, (3, 11))
        logits = forward(w, w["transformer.wte.weight"][ids])
        prefix = torch.randn(2, 4, CONFIG["n_embd"])
        prefix_ids = torch.randint(0, v, (2, 7))
        prefix_logits = forward(w, torch.cat([prefix, w["transformer.wte.weight"][prefix_ids]], dim=1))
    write_safetensors(os.path.join(OUT, "model.safetensors"), w, "tests/reference/make_gpt2_fixtures.py")
    write_safetensors(os.path.join(OUT, "expected.safetensors"), {
        "input_ids": ids.float(),
        "logits": logits,
        "inputs_embeds_prefix": prefix,
        "prefix_input_ids": prefix_ids.float(),
        "prefix_logits": prefix_logits,
    }, "tests/reference/make_gpt2_fixtures.py")
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
